import { registry } from "@web/core/registry";
import { screenshotSteps } from "@touch_plan/../tests/tours/screenshot_steps";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("lead_tracking_funnel_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "open CRM",
            trigger: ".o_app[data-menu-xmlid='crm.crm_menu_root']",
            run: "click",
        },
        {
            content: "open the Reporting menu",
            trigger: ".o_menu_sections [data-menu-xmlid='crm.crm_menu_report']",
            run: "click",
        },
        {
            content: "open the lead funnel",
            trigger: ".dropdown-item[data-menu-xmlid='lead_tracking.lead_tracking_funnel_report_menu']",
            run: "click",
        },
        {
            content: "the funnel shows the referral channel",
            trigger: ".o_pivot .o_pivot_header_cell_closed:contains('Referral')",
        },
        {
            content: "and the web form channel",
            trigger: ".o_pivot .o_pivot_header_cell_closed:contains('Website Form')",
        },
        {
            content: "with the conversion rate",
            trigger: ".o_pivot th:contains('Conversion')",
        },
        ...screenshotSteps("lead_tracking_funnel"),
    ],
});
