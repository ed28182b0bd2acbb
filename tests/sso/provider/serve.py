"""Run the test provider: migrate its own SQLite database, register Zoufang as a confidential client (consent
skipped, as a district's provider would for its own systems), create its people, and serve on PROVIDER_PORT.

    python -m tests.sso.provider.serve   (DJANGO_SETTINGS_MODULE=tests.sso.provider.settings)
"""

import os

import django


def prepare() -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    Application.objects.create(
        name="zoufang",
        client_id=os.environ["PROVIDER_CLIENT_ID"],
        client_secret=os.environ["PROVIDER_CLIENT_SECRET"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=os.environ["PROVIDER_REDIRECT_URI"],
        skip_authorization=True,
        algorithm=Application.RS256_ALGORITHM,
    )
    for name in os.environ["PROVIDER_PEOPLE"].split(","):
        get_user_model().objects.create_user(name, password=os.environ["PROVIDER_PASSWORD"], first_name=f"{name}姓名")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.sso.provider.settings")
    django.setup()
    prepare()
    from django.core.servers.basehttp import run
    from django.core.wsgi import get_wsgi_application

    run("127.0.0.1", int(os.environ["PROVIDER_PORT"]), get_wsgi_application(), threading=True)


if __name__ == "__main__":
    main()
