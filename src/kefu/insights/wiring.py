"""What this part registers in the shared registries, called once from its AppConfig.ready():
the figures' grants, and the generator steps of the surveys and complaints (feedback.generate,
complaints.generate: registered here, above both apps, because they run after the tickets' step
and the feedback step reads complaint-type tickets for the customers' mood)."""


def register() -> None:
    from kefu.accounts import roles
    from kefu.insights.permissions import ROLE_GRANTS

    roles.declare_grants("insights", ROLE_GRANTS)
