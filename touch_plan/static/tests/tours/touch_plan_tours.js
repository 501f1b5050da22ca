import { registry } from "@web/core/registry";
import { screenshotSteps } from "./screenshot_steps";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("touch_plan_rep_call_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "open the Touch Plan app",
            trigger: ".o_app[data-menu-xmlid='touch_plan.touch_plan_menu_root']",
            run: "click",
        },
        {
            content: "open my touches",
            trigger: ".o_menu_sections [data-menu-xmlid='touch_plan.touch_plan_touch_menu']",
            run: "click",
        },
        {
            content: "my touches list the call to Tour Client",
            trigger: ".o_list_view .o_data_row:contains('Tour Client'):contains('Check-in call')",
        },
        ...screenshotSteps("touch_plan_my_touches"),
        {
            content: "open the call",
            trigger:
                ".o_data_row:contains('Tour Client'):contains('Check-in call') td[name='name']",
            run: "click",
        },
        {
            content: "the call is to do",
            trigger: ".o_form_view .o_field_widget[name='partner_id']:contains('Tour Client')",
        },
        {
            content: "the client was reached",
            trigger: ".o_form_view button[name='action_done_reached']",
            run: "click",
        },
        {
            content: "the call is done with its outcome",
            trigger: ".o_form_view .o_field_widget[name='outcome']:contains('Reached')",
        },
        {
            content: "the status is Done",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Done')",
        },
        {
            content: "back to my touches",
            trigger: ".o_breadcrumb .breadcrumb-item.o_back_button a",
            run: "click",
        },
        {
            content: "the follow-up note is scheduled",
            trigger: ".o_list_view .o_data_row:contains('Tour Client'):contains('Nice talking to you')",
        },
    ],
});

// started on a contact's form (no url: the test opens /odoo/res.partner/<id>)
registry.category("web_tour.tours").add("touch_plan_partner_tour", {
    steps: () => [
        {
            content: "the touches of the year on the smart button",
            trigger: ".o_form_view .oe_stat_button:contains('Touches This Year')",
        },
        {
            content: "open the Touch Plans tab",
            trigger: ".o_notebook a.nav-link:contains('Touch Plans')",
            run: "click",
        },
        {
            content: "the client's plan is listed",
            trigger: ".o_field_widget[name='touch_plan_enrollment_ids'] .o_data_row:contains('33 Touch: Lifetime Clients')",
        },
        ...screenshotSteps("touch_plan_partner"),
    ],
});
