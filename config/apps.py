from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """Installed so that the orchestrating management commands (demo, seed_demo, rollup) are found."""

    name = "config"
    verbose_name = "项目"
