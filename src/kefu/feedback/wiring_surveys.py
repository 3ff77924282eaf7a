"""What this part registers in the shared registries, called once from its AppConfig.ready()."""


def register() -> None:
    pass
