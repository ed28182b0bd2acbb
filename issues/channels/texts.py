"""The Chinese template of each notice kind, for SMS and WeChat (issue 17 item 4). Two parameters only: {code}, the
ticket's code (a merged ticket's requester gets their own code, which opens /lookup/ on the surviving ticket), and
{status}, the ticket's status when the notice was raised. Never a name, an address, a phone or the complaint's text.

An SMS provider sends only templates registered with it beforehand: register these texts (with ${code} and ${status}
in place of {code} and {status}) and give their codes in SMS_TEMPLATE_CODES as `kind:CODE` pairs (`*:CODE` for every
kind without its own). WeChat template ids come the same way in WECHAT_TEMPLATE_IDS.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

TEMPLATES: dict[str, str] = {
    "dispatched": "您有新派单：工单{code}，当前状态：{status}，请及时签收。",
    "returned": "工单{code}已被退回，当前状态：{status}，请重新派单。",
    "supervised": "工单{code}被督办，当前状态：{status}，请尽快办理。",
    "reopened": "工单{code}回访不满意已重办，当前状态：{status}。",
    "instructed": "工单{code}有新的领导批示，当前状态：{status}。",
    "extension_requested": "工单{code}申请延期，请审批，当前状态：{status}。",
    "extended": "工单{code}已延期，当前状态：{status}。",
    "extension_refused": "工单{code}的延期申请未获批准，当前状态：{status}。",
    "merged": "您反映的诉求{code}已与同一事项合并办理，当前状态：{status}。",
    "resolved": "您反映的诉求{code}已办结（{status}），可凭编号和手机尾号在进度查询页查看答复。",
}
DEFAULT_TEMPLATE = "工单{code}有新进展，当前状态：{status}。"


def text_of(kind: str, params: dict[str, str]) -> str:
    """The message's text: the kind's template with the ticket's code and status."""
    return TEMPLATES.get(kind, DEFAULT_TEMPLATE).format(code=params.get("code", ""), status=params.get("status", ""))


def code_for(pairs: list[str], kind: str, setting: str) -> str:
    """The provider's template code of `kind` from `kind:CODE` pairs (`*` for the rest); "" when none. A pair without
    a colon or naming an unknown kind is a configuration error, said with the setting's name."""
    codes: dict[str, str] = {}
    for pair in pairs:
        name, sep, code = pair.partition(":")
        if not sep or not code.strip() or (name.strip() != "*" and name.strip() not in TEMPLATES):
            raise ImproperlyConfigured(f"{setting}: {pair!r} is not kind:CODE with a known kind or *")
        codes[name.strip()] = code.strip()
    return codes.get(kind) or codes.get("*", "")
