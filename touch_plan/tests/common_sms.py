from contextlib import contextmanager
from unittest.mock import patch

from odoo.addons.sms.tools.sms_api import SmsApi

from .common_touch import TouchPlanCase


class TouchPlanSmsCase(TouchPlanCase):
    """A plan whose follow-up note goes by SMS after a call that reached the client,
    and a mocked SMS gateway (Odoo sends SMS through IAP: nothing leaves the test)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.belgium = cls.env.ref("base.be")
        cls.sms_template = cls.env["sms.template"].create(
            {
                "name": "Test follow-up SMS",
                "model_id": cls.env["ir.model"]._get_id("res.partner"),
                "body": "Thanks for the call, {{ object.name }}!",
            }
        )
        cls.sms_plan = cls.env["touch.plan"].create(
            {
                "name": "Calls and SMS",
                "kind": "custom",
                "yearly_target": 2,
                "step_ids": [
                    (0, 0, {"name": "Call", "kind": "call", "channel": "call", "sequence": 1})
                ],
            }
        )
        cls.call_step = cls.sms_plan.step_ids
        cls.sms_step = cls.env["touch.plan.step"].create(
            {
                "plan_id": cls.sms_plan.id,
                "sequence": 2,
                "name": "Follow-up by SMS",
                "kind": "followup",
                "timing": "after_step",
                "trigger_step_id": cls.call_step.id,
                "trigger_outcome": "reached",
                "channel": "sms",
                "sms_template_id": cls.sms_template.id,
                "fallback_channel": "letter",
                "referral_ask": False,
            }
        )

    @classmethod
    def _create_mobile_client(cls, name, mobile="+32 470 12 34 56", **values):
        return cls._create_client(
            name, key_dates=False, mobile=mobile, country_id=cls.belgium.id, **values
        )

    @contextmanager
    def mock_sms_gateway(self, errors=None):
        """Answer IAP's batch endpoint: ``errors`` maps a number to an IAP error
        state (e.g. ``wrong_number_format``); the yielded list gets what was sent."""
        errors = errors or {}
        sent = []

        def _send_sms_batch(api, messages, delivery_reports_url=False):
            results = []
            for message in messages:
                for number in message["numbers"]:
                    state = errors.get(number["number"], "success")
                    if state == "success":
                        sent.append({"number": number["number"], "body": message["content"]})
                    results.append({"uuid": number["uuid"], "state": state, "credit": 1})
            return results

        with patch.object(SmsApi, "_send_sms_batch", autospec=True, side_effect=_send_sms_batch):
            yield sent

    def _call_reached(self, enrollment):
        """The rep marks the enrollment's call done (reached): the follow-up is due at once."""
        call = enrollment.touch_ids.filtered(lambda t: t.step_id == self.call_step)
        call.action_done_reached()
        return enrollment.touch_ids.filtered(lambda t: t.step_id == self.sms_step)
