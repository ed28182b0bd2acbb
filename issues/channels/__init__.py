"""The notification channels beyond the in-app bell (issue 17 item 4; docs/integration.md "短信与微信通知").

One interface (issues.notices: a Notice, sent after commit on the `notifications` queue) and three channels:

- in_app: Notification rows for users, RequesterNotice rows for requesters — written by issues.notices itself;
- sms (sms.py): Alibaba Cloud SMS `SendSms`, to a user who chose it (campaign.NotifyPreference) and to the requester
  of a ticket (their phone, read when the message is sent);
- wechat (wechat.py): the WeChat Official Account template message, to a user who chose it and whose OpenID is bound.

outbox.py plans a ChannelDelivery row per (recipient, notice, channel) in the notice's transaction and sends it after
commit, with retries, back-off and a per-recipient hourly limit. texts.py holds the Chinese template of each notice
kind: the ticket's code and status, nothing personal.
"""
