import { registry } from "@web/core/registry";
import { screenshotSteps } from "@touch_plan/../tests/tours/screenshot_steps";

registry.category("web_tour.tours").add("loyalty_club_portal_tour", {
    url: "/my",
    steps: () => [
        {
            content: "the club entry on the portal home",
            trigger: ".o_portal_index_card a[href='/my/club']",
            run: "click",
        },
        {
            content: "the member's tier",
            trigger: ".o_club_tier:contains('Gold')",
        },
        {
            content: "the member's points",
            trigger: ".o_club_points:contains('120')",
        },
        ...screenshotSteps("loyalty_club_portal"),
    ],
});
