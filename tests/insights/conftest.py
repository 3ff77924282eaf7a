import pytest

from tests.insights.scene import build


@pytest.fixture
def scene(supervisor):
    return build(supervisor)
