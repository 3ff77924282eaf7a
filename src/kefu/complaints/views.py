from django.http import HttpResponse


def _todo(request, **kwargs):
    return HttpResponse(status=404)


problems = problem = edit_problem = link_ticket = close_problem = _todo
classify = apology = compensation = escalate = _todo
