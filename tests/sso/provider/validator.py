"""The claims an OIDC gateway in front of 企业微信/政务微信 or 浙政钉 hands out besides `sub`: the enterprise's `userid`,
the 浙政钉 `accountId` (a number) and `employeeCode`, and a name. Derived from the provider's user so that each test
knows what to expect: userid "wx-<username>", accountId 100000 + pk, employeeCode "E<pk>"."""

from oauth2_provider.oauth2_validators import OAuth2Validator


class GatewayClaims(OAuth2Validator):
    # A claim not listed here is left out of the ID token and userinfo (DOT filters by granted scope).
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "userid": "profile", "accountId": "profile"}
    oidc_claim_scope["employeeCode"] = "profile"

    def get_additional_claims(self, request):
        user = request.user
        return {
            "name": user.first_name or user.username,
            "userid": f"wx-{user.username}",
            "accountId": 100000 + user.pk,
            "employeeCode": f"E{user.pk}",
        }
