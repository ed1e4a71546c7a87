from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "dibiao.projects"
    label = "projects"
    verbose_name = "保护工程"
