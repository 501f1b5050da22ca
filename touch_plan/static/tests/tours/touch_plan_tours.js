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
                ".o_data_row:contains('Tour Client'):contains('Check-in call') td[name='display_name']",
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

// started on a contact's form with a call activity due: marked done in the
// chatter, the form shows the touch done without a reload. The counts are
// read before (a touch sent by email at enrolment may already be done) and
// must grow by one.
const doneCounts = {};

function readCount(key) {
    return function () {
        doneCounts[key] = parseInt(this.anchor.textContent.trim(), 10);
    };
}

function countGrew(key) {
    return async function () {
        const expected = doneCounts[key] + 1;
        for (let waited = 0; waited < 10000; waited += 100) {
            const element = document.querySelector(this.selector);
            if (element && parseInt(element.textContent.trim(), 10) === expected) {
                return;
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
        throw new Error(`${key}: expected ${expected} on the open form`);
    };
}

const STAT_DONE = ".o_form_view .oe_stat_button .o_field_widget[name='touch_year_done_count']";
const LINE_DONE =
    ".o_field_widget[name='touch_plan_enrollment_ids'] .o_data_row td[name='touch_done_count']";

registry.category("web_tour.tours").add("touch_plan_partner_mark_done_tour", {
    steps: () => [
        {
            content: "the touches done this year",
            trigger: STAT_DONE,
            run: readCount("stat"),
        },
        {
            content: "open the Touch Plans tab",
            trigger: ".o_notebook a.nav-link:contains('Touch Plans')",
            run: "click",
        },
        {
            content: "the enrolment's touches done",
            trigger: LINE_DONE,
            run: readCount("line"),
        },
        {
            content: "the call is among the client's activities",
            trigger: ".o-mail-Activity:contains('Check-in call') .o-mail-Activity-markDone",
            run: "click",
        },
        {
            content: "mark it done",
            trigger: ".o-mail-ActivityMarkAsDone button[aria-label='Done']",
            run: "click",
        },
        {
            content: "the activity left the chatter",
            trigger: ".o-mail-Chatter:not(:has(.o-mail-Activity:contains('Check-in call')))",
        },
        {
            content: "the enrolment counts the call done at once",
            trigger: LINE_DONE,
            run: countGrew("line").bind({ selector: LINE_DONE }),
        },
        {
            content: "the touch counts as done on the form at once",
            trigger: STAT_DONE,
            run: countGrew("stat").bind({ selector: STAT_DONE }),
        },
    ],
});
