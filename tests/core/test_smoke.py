from huey.contrib.djhuey import HUEY


def test_tests_run_tasks_in_process_without_touching_the_real_queue():
    assert HUEY.immediate is True
