from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """A landing page that sends each role to its work: cadres to /m/, officials to /tickets/, leaders to /dashboard/."""
    return render(request, "home.html")
