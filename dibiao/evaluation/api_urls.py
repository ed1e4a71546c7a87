from django.urls import path

from dibiao.evaluation.api import evaluation, indicators

urlpatterns = [
    path("indicators/", indicators.IndicatorListApi.as_view(), name="api-indicator-list"),
    path(
        "indicators/catalogue/",
        indicators.IndicatorCatalogueApi.as_view(),
        name="api-indicator-catalogue",
    ),
    path(
        "evaluation-schemes/",
        evaluation.SchemeListApi.as_view(),
        name="api-evaluation-scheme-list",
    ),
    path(
        "evaluation-schemes/<int:pk>/",
        evaluation.SchemeDetailApi.as_view(),
        name="api-evaluation-scheme-detail",
    ),
    path("evaluation-rounds/", evaluation.RoundListApi.as_view(), name="api-evaluation-round-list"),
    path(
        "evaluation-rounds/<int:pk>/",
        evaluation.RoundDetailApi.as_view(),
        name="api-evaluation-round-detail",
    ),
    path(
        "evaluation-rounds/<int:pk>/compute/",
        evaluation.RoundComputeApi.as_view(),
        name="api-evaluation-round-compute",
    ),
    path(
        "evaluation-rounds/<int:pk>/publish/",
        evaluation.RoundPublishApi.as_view(),
        name="api-evaluation-round-publish",
    ),
    path(
        "evaluation-rounds/<int:pk>/close/",
        evaluation.RoundCloseApi.as_view(),
        name="api-evaluation-round-close",
    ),
    path(
        "evaluation-rounds/<int:pk>/evaluations/",
        evaluation.RoundEvaluationListApi.as_view(),
        name="api-evaluation-round-evaluations",
    ),
    path(
        "evaluations/<int:pk>/",
        evaluation.EvaluationDetailApi.as_view(),
        name="api-evaluation-detail",
    ),
    path(
        "evaluation-scores/<int:pk>/",
        evaluation.ScoreEnterApi.as_view(),
        name="api-evaluation-score-enter",
    ),
    path("evaluation-appeals/", evaluation.AppealListApi.as_view(), name="api-appeal-list"),
    path(
        "evaluation-appeals/<int:pk>/",
        evaluation.AppealDetailApi.as_view(),
        name="api-appeal-detail",
    ),
    path(
        "evaluation-appeals/<int:pk>/decide/",
        evaluation.AppealDecideApi.as_view(),
        name="api-appeal-decide",
    ),
]
