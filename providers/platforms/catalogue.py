"""Permission catalogues, one per platform: hierarchical permission codes.

These are the *sandbox's* catalogues: plausible trees modelled on each seller centre's
permission areas (SPEC "Platform rules"). The live Taobao catalogue comes from
``taobao.sellercenter.user.permissions.get``; the shape (code, name, parent) is the same.

Granting a point grants its ancestors and all of its descendants (TOP ``role.add`` rule,
applied to every platform here), see :meth:`PermissionCatalogue.expand`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Permission:
    code: str
    name: str
    parent: str | None = None
    high_risk: bool = False


class PermissionCatalogue:
    """A tree of permission points for one platform."""

    def __init__(self, platform: str, points: Iterable[Permission]) -> None:
        self.platform = platform
        self.points: dict[str, Permission] = {}
        for p in points:
            if p.code in self.points:
                raise ValueError(f"{platform}: duplicate permission code {p.code}")
            if p.parent is not None and p.parent not in self.points:
                raise ValueError(f"{platform}: {p.code} names unknown parent {p.parent}")
            self.points[p.code] = p

    def __contains__(self, code: object) -> bool:
        return code in self.points

    @cached_property
    def _children(self) -> dict[str, list[str]]:
        children: dict[str, list[str]] = {code: [] for code in self.points}
        for p in self.points.values():
            if p.parent is not None:
                children[p.parent].append(p.code)
        return children

    def ancestors(self, code: str) -> list[str]:
        out: list[str] = []
        parent = self.points[code].parent
        while parent is not None:
            out.append(parent)
            parent = self.points[parent].parent
        return out

    def descendants(self, code: str) -> list[str]:
        out: list[str] = []
        stack = list(self._children[code])
        while stack:
            c = stack.pop()
            out.append(c)
            stack.extend(self._children[c])
        return out

    def expand(self, codes: Iterable[str]) -> frozenset[str]:
        """Every point actually held when ``codes`` are granted (ancestors + descendants)."""
        held: set[str] = set()
        for code in codes:
            held.add(code)
            held.update(self.ancestors(code))
            held.update(self.descendants(code))
        return frozenset(held)

    def high_risk(self, codes: Iterable[str]) -> frozenset[str]:
        return frozenset(c for c in codes if c in self.points and self.points[c].high_risk)


def _p(code: str, name: str, parent: str | None = None, high_risk: bool = False) -> Permission:
    return Permission(code, name, parent, high_risk)


# Taobao / Tmall: areas from the seller guides — goods (price change, deletion: high risk),
# orders and logistics, refunds, marketing, ads (直通车, 钻展), decoration, 旺旺 chat, data,
# finance (支付宝: high risk). Codes follow TOP's dash style (e.g. sm-design).
_TAOBAO = [
    _p("sell", "卖家中心"),
    _p("item", "宝贝管理", "sell"),
    _p("item-publish", "发布宝贝", "item"),
    _p("item-edit", "编辑宝贝", "item"),
    _p("item-price", "修改价格", "item", high_risk=True),
    _p("item-delete", "删除宝贝", "item", high_risk=True),
    _p("trade", "交易管理", "sell"),
    _p("trade-view", "查看订单", "trade"),
    _p("trade-ship", "发货", "trade"),
    _p("trade-address", "修改收货地址", "trade", high_risk=True),
    _p("refund", "退款管理", "sell"),
    _p("refund-view", "查看退款", "refund"),
    _p("refund-approve", "同意退款", "refund", high_risk=True),
    _p("marketing", "营销工具", "sell"),
    _p("marketing-coupon", "优惠券", "marketing"),
    _p("marketing-bundle", "搭配套餐", "marketing"),
    _p("ads", "推广", "sell"),
    _p("ads-ztc", "直通车", "ads"),
    _p("ads-zz", "钻展", "ads"),
    _p("sm", "店铺管理", "sell"),
    _p("sm-design", "店铺装修", "sm"),
    _p("sm-tbd-visit", "装修预览", "sm-design"),
    _p("sm-tbd-publish", "装修发布", "sm-design"),
    _p("ww", "旺旺客服", "sell"),
    _p("ww-chat", "接待咨询", "ww"),
    _p("ww-dispatch", "分流设置", "ww"),
    _p("data", "数据", "sell"),
    _p("data-report", "经营报表", "data"),
    _p("finance", "财务", "sell"),
    _p("finance-alipay", "支付宝", "finance", high_risk=True),
    _p("finance-bill", "账单", "finance"),
]

_SHOPEE = [
    _p("shop", "Shop"),
    _p("product", "Products", "shop"),
    _p("product-edit", "Edit products", "product"),
    _p("product-price", "Change prices", "product", high_risk=True),
    _p("product-delete", "Delete products", "product", high_risk=True),
    _p("order", "Orders", "shop"),
    _p("order-view", "View orders", "order"),
    _p("order-ship", "Arrange shipment", "order"),
    _p("return", "Returns and refunds", "shop"),
    _p("return-approve", "Approve refunds", "return", high_risk=True),
    _p("marketing", "Marketing centre", "shop"),
    _p("marketing-voucher", "Vouchers", "marketing"),
    _p("ads", "Shopee Ads", "shop"),
    _p("chat", "Chat", "shop"),
    _p("chat-reply", "Reply to buyers", "chat"),
    _p("data", "Business insights", "shop"),
    _p("finance", "Finance", "shop"),
    _p("finance-wallet", "Seller wallet", "finance", high_risk=True),
    _p("finance-income", "Income", "finance"),
]

_OZON = [
    _p("seller", "Seller account"),
    _p("products", "Products", "seller"),
    _p("products-edit", "Edit products", "products"),
    _p("products-price", "Prices", "products", high_risk=True),
    _p("orders", "Sales / orders", "seller"),
    _p("orders-fbs", "FBS shipments", "orders"),
    _p("warehouse", "Warehouse", "seller"),
    _p("warehouse-stock", "Stock", "warehouse"),
    _p("support", "Customer service", "seller"),
    _p("support-chat", "Buyer chats", "support"),
    _p("support-returns", "Returns", "support"),
    _p("promo", "Promotions", "seller"),
    _p("analytics", "Analytics", "seller"),
    _p("finance", "Finance", "seller"),
    _p("finance-payouts", "Payouts and documents", "finance", high_risk=True),
    _p("admin", "Users and roles", "seller", high_risk=True),
]

_DOUYIN = [
    _p("shop", "店铺"),
    _p("goods", "商品", "shop"),
    _p("goods-edit", "编辑商品", "goods"),
    _p("goods-price", "改价", "goods", high_risk=True),
    _p("goods-delete", "删除商品", "goods", high_risk=True),
    _p("order", "订单", "shop"),
    _p("order-view", "查看订单", "order"),
    _p("order-ship", "发货", "order"),
    _p("aftersale", "售后", "shop"),
    _p("aftersale-refund", "退款审核", "aftersale", high_risk=True),
    _p("marketing", "营销", "shop"),
    _p("marketing-coupon", "优惠券", "marketing"),
    _p("live", "直播", "shop"),
    _p("im", "飞鸽客服", "shop"),
    _p("im-reply", "接待买家", "im"),
    _p("data", "电商罗盘", "shop"),
    _p("finance", "资金", "shop"),
    _p("finance-withdraw", "提现", "finance", high_risk=True),
    _p("account", "账号与绑定", "shop", high_risk=True),
]

# Kuaishou (快手小店): the seller back office's areas -- goods, orders, after-sales (退款:
# high risk), customer service (客服), marketing, live commerce (直播), data (生意通),
# funds (提现: high risk) and the shop's staff (子账号: high risk). The open platform lists
# a seller's roles (``open.user.sub.account.role.list``) but not what they grant, so these
# codes are what org.yaml and the review speak of; the seller centre's role page holds them.
_KUAISHOU = [
    _p("shop", "店铺"),
    _p("goods", "商品管理", "shop"),
    _p("goods-edit", "编辑商品", "goods"),
    _p("goods-price", "修改价格", "goods", high_risk=True),
    _p("order", "订单管理", "shop"),
    _p("order-view", "查看订单", "order"),
    _p("order-ship", "发货", "order"),
    _p("aftersale", "售后", "shop"),
    _p("aftersale-refund", "退款审核", "aftersale", high_risk=True),
    _p("cs", "客服", "shop"),
    _p("cs-reply", "接待买家", "cs"),
    _p("marketing", "营销", "shop"),
    _p("live", "直播", "shop"),
    _p("data", "生意通", "shop"),
    _p("finance", "资金", "shop"),
    _p("finance-withdraw", "提现", "finance", high_risk=True),
    _p("staff", "子账号管理", "shop", high_risk=True),
]

CATALOGUES: dict[str, PermissionCatalogue] = {
    "taobao": PermissionCatalogue("taobao", _TAOBAO),
    "tmall": PermissionCatalogue("tmall", _TAOBAO),
    "shopee": PermissionCatalogue("shopee", _SHOPEE),
    "ozon": PermissionCatalogue("ozon", _OZON),
    "douyin": PermissionCatalogue("douyin", _DOUYIN),
    "kuaishou": PermissionCatalogue("kuaishou", _KUAISHOU),
}
