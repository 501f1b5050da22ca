import * as PosLoyalty from "@pos_loyalty/../tests/tours/utils/pos_loyalty_util";
import * as ProductScreen from "@point_of_sale/../tests/tours/utils/product_screen_util";
import * as Chrome from "@point_of_sale/../tests/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/tours/utils/dialog_util";
import * as PaymentScreen from "@point_of_sale/../tests/tours/utils/payment_screen_util";
import * as ReceiptScreen from "@point_of_sale/../tests/tours/utils/receipt_screen_util";
import * as TicketScreen from "@point_of_sale/../tests/tours/utils/ticket_screen_util";
import { registry } from "@web/core/registry";

// the server records the order (and its points) before the receipt shows: on a
// loaded machine that takes longer than a step's default 10 seconds
function pay(amount) {
    return [
        ...ProductScreen.clickPayButton(),
        ...PaymentScreen.clickPaymentMethod("Cash"),
        ...(amount ? PaymentScreen.clickNumpad([...amount].join(" ")) : []),
        ...PaymentScreen.clickValidate(),
        { content: "the order is recorded", trigger: ".receipt-screen", timeout: 60000 },
        ...ReceiptScreen.clickNextOrder(),
    ];
}

registry.category("web_tour.tours").add("loyalty_club_pos_gold_member_tour", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            ProductScreen.addOrderline("Whiteboard Pen", "1"),
            ProductScreen.clickPartnerButton(),
            {
                content: "the customer list shows the member's tier next to the points",
                trigger: '.partner-line:contains("AAA Club Member") .o_club_pos_tier:contains("Gold")',
            },
            ProductScreen.clickCustomer("AAA Club Member"),
            PosLoyalty.customerIs("AAA Club Member"),
            {
                content: "the order summary names the member's tier",
                trigger: '.o_club_pos_tier:contains("Gold")',
            },
            // 10 points for the pen, doubled by Gold
            PosLoyalty.pointsAwardedAre("20"),
            pay("10"),
            // the member brings the pen back: refund it from the POS screen
            ProductScreen.isShown(),
            ...ProductScreen.clickRefund(),
            TicketScreen.filterIs("Paid"),
            TicketScreen.selectOrder("-0001"),
            ProductScreen.clickNumpad("1"),
            TicketScreen.confirmRefund(),
            ProductScreen.isShown(),
            PosLoyalty.orderTotalIs("-10.00"),
            pay(),
        ].flat(),
});
