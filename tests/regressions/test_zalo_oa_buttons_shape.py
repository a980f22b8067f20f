"""Issue 15.5: the OA "text with buttons" message used Messenger's `template_type: "button"`, a shape no
Zalo SDK sends. It is now the shape Zalo's own SDKs and live integrations use (docs/zalo-api.md)."""

from bot.channels.zalo_oa_send import button_message
from bot.core.messages import Button


def test_text_with_buttons_is_text_plus_a_bare_buttons_template():
    message = button_message("Chọn một mục:", [Button("menu:help", "❓ Cần hỗ trợ")])
    assert message == {"text": "Chọn một mục:", "attachment": {"type": "template", "payload": {
        "buttons": [{"title": "❓ Cần hỗ trợ", "type": "oa.query.hide", "payload": "#cds:menu:help"}]}}}
    assert "template_type" not in message["attachment"]["payload"]
