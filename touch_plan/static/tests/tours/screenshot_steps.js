/** Steps capturing the page as `name` (see touch_plan/tests/tour_screenshots.py). */
export function screenshotSteps(name) {
    return [
        {
            content: `screenshot ${name}`,
            trigger: "body",
            run() {
                console.log(`relsell_screenshot:${name}`);
            },
        },
        {
            content: `screenshot ${name} taken`,
            trigger: `body[data-relsell-screenshot='${name}']`,
        },
    ];
}
