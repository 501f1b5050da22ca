import { PosOrder } from "@point_of_sale/app/models/pos_order";
import { patch } from "@web/core/utils/patch";

/**
 * The points a club member earns with this order, as the server records them: the
 * points of the program's rules times the member's tier multiplier, rounded down to
 * the cent (loyalty_club_pos' pos.order._club_pos_record_points). The POS keeps
 * sending the points of the rules: the server multiplies them, once.
 */
export function clubEarnedPoints(card, points) {
    const multiplier = card?.is_club && card.club_tier_name ? card.club_multiplier : 1;
    if (multiplier === 1 || points <= 0) {
        return points;
    }
    return Math.floor(points * multiplier * 100 + 1e-6) / 100;
}

patch(PosOrder.prototype, {
    getLoyaltyPoints() {
        const stats = super.getLoyaltyPoints(...arguments);
        for (const stat of stats) {
            const card = this.models["loyalty.card"].get(Number(stat.couponId));
            const won = clubEarnedPoints(card, stat.points.won);
            if (won !== stat.points.won) {
                stat.points.won = won;
                stat.points.total = parseFloat(
                    (stat.points.balance + won - stat.points.spent).toFixed(2)
                );
            }
            if (card?.is_club && card.club_tier_name) {
                stat.points.club_tier_name = card.club_tier_name;
            }
        }
        return stats;
    },
});
