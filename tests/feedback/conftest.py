import pytest

from tests.feedback.scene import team_of


@pytest.fixture
def team(agent, supervisor):
    return team_of(agent, supervisor)
