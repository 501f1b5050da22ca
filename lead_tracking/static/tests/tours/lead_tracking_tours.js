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

const DUPLICATES = ".modal .o_field_one2many[name='duplicate_group_ids']";
const SEPARATE = ".modal .o_field_one2many[name='separate_group_ids']";
const JANE_ROW = `${DUPLICATES} .o_data_row:has(td[name='lead_summary']:contains('Tour Request from Jane Doe (Jane Doe, Tour Widgets Ltd)'))`;

registry.category("web_tour.tours").add("lead_tracking_duplicate_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "open CRM",
            trigger: ".o_app[data-menu-xmlid='crm.crm_menu_root']",
            run: "click",
        },
        {
            content: "open the Configuration menu",
            trigger: ".o_menu_sections [data-menu-xmlid='crm.crm_menu_config']",
            run: "click",
        },
        {
            content: "open the duplicate finder",
            trigger:
                ".dropdown-item[data-menu-xmlid='lead_tracking.lead_tracking_duplicate_wizard_menu']",
            run: "click",
        },
        {
            content: "search for duplicates",
            trigger: ".modal button[name='action_find']",
            run: "click",
        },
        {
            content: "the group shows the full names, contacts and companies",
            trigger: `${JANE_ROW} td[name='lead_summary']:contains('Tour Jane again (Jane Do, Tour Widgets)')`,
        },
        {
            content: "with a formatted phone",
            trigger: `${JANE_ROW} td[name='lead_summary']:contains('+32 470 12 34 56')`,
        },
        {
            content: "and why: the same email",
            trigger: `${JANE_ROW} td[name='reason']:contains('same email jane@tourwidgets.example')`,
        },
        {
            content: "nothing is ticked",
            trigger: `${DUPLICATES} .o_list_table:not(:has(.o_field_boolean_toggle input:checked))`,
        },
        {
            content: "the customer's two deals are kept apart",
            trigger: `${SEPARATE} td[name='reason']:contains('Tour Office Deal'):contains('kept apart: different stages')`,
        },
        ...screenshotSteps("lead_tracking_duplicates"),
        {
            content: "tick Jane's group",
            trigger: `${JANE_ROW} .o_field_boolean_toggle input`,
            run: "click",
        },
        {
            content: "it is ticked",
            trigger: `${JANE_ROW} .o_field_boolean_toggle input:checked`,
        },
        {
            content: "merge the ticked groups",
            trigger: ".modal footer button[name='action_merge']",
            run: "click",
        },
        {
            content: "the group says which lead it was merged into",
            trigger: `${DUPLICATES} td[name='merged_lead_id']:contains('Tour')`,
        },
    ],
});
