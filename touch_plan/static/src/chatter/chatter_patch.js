import { Chatter } from "@mail/chatter/web_portal/chatter";
import { registry } from "@web/core/registry";
import { patch } from "@web/core/utils/patch";
import { setAttributes } from "@web/core/utils/xml";

/**
 * `<chatter reload_on_activity="1"/>`: the form reloads its record after an
 * activity of the chatter is marked done, edited or cancelled, as
 * `reload_on_follower` / `reload_on_post` do in mail. A client's touch
 * activity marked done changes what the form shows (touches this year, the
 * enrolment's figures, a lead's response time): the rep sees it at once.
 */
const formCompilers = registry.category("form_compilers");
const chatterCompiler = formCompilers.get("chatter_compiler");
formCompilers.add(
    "chatter_compiler",
    {
        ...chatterCompiler,
        fn(node, params) {
            const result = chatterCompiler.fn.call(this, node, params);
            const chatter = result.querySelector("t[t-component='__comp__.mailComponents.Chatter']");
            setAttributes(chatter, {
                hasParentReloadOnActivityChanged: Boolean(node.getAttribute("reload_on_activity")),
            });
            return result;
        },
    },
    { force: true }
);

Chatter.props.push("hasParentReloadOnActivityChanged?");
Object.assign(Chatter.defaultProps, { hasParentReloadOnActivityChanged: false });

patch(Chatter.prototype, {
    onActivityChanged(thread) {
        super.onActivityChanged(...arguments);
        if (this.props.hasParentReloadOnActivityChanged) {
            this.reloadParentView();
        }
    },
});
