"""What this part registers in the shared registries, called once from its AppConfig.ready():
the figures' grants, and the generator steps of the complaints and the surveys
(complaints.generate, feedback.generate). They are registered here, above both apps, so that they
run after the tickets' step (steps run in registration order) without either app importing the
other."""


def register() -> None:
    from kefu.accounts import roles
    from kefu.complaints.generate import COMPLAINTS_STEP
    from kefu.core import generation
    from kefu.feedback.generate import SURVEYS_STEP
    from kefu.insights.permissions import ROLE_GRANTS

    roles.declare_grants("insights", ROLE_GRANTS)
    generation.register_step(COMPLAINTS_STEP)
    generation.register_step(SURVEYS_STEP)
