from rest_framework.routers import DefaultRouter


def routes(router: DefaultRouter) -> None:
    """Register this app's viewsets on the API router."""
