"""Where a manual step happens: each platform's seller centre and its pages, as their menus
name them. Facts about the platforms' back offices, read by the runbooks and the reports."""

from __future__ import annotations

#: Which seller centre each platform's steps happen in (its own name for it).
SELLER_CENTRE_NAMES: dict[str, str] = {
    "taobao": "淘宝 千牛卖家中心",
    "tmall": "天猫 千牛商家中心",
    "shopee": "Shopee Seller Centre",
    "ozon": "Ozon Seller cabinet",
    "douyin": "抖店后台",
    "kuaishou": "快手小店 商家后台",
}

_TOP_PAGES = {
    "sub_account": "子账号管理 › 员工管理",
    "department": "子账号管理 › 组织架构 (部门)",
    "role": "子账号管理 › 岗位/角色管理",
    "role_grant": "子账号管理 › 员工管理 › 修改权限",
}

#: The seller-centre page per (platform, kind), as the page's menus name it.
SELLER_CENTRE_PAGES: dict[str, dict[str, str]] = {
    "taobao": _TOP_PAGES,
    "tmall": _TOP_PAGES,
    "shopee": {
        "sub_account": "Sub Account Platform › Members",
        "role": "Sub Account Platform › Roles",
        "role_grant": "Sub Account Platform › Members › Edit › Shop permissions",
        "chat_group": "Customer Service › Chat Assignment (per shop)",
        "department": "Sub Account Platform (no departments)",
        # Shopee's seller-education pages: the main account sets it under 商店设定 ›
        # 更新密码 › 付款密码 (sub-accounts cannot).
        "wallet": "Shop Settings › Update Password › Payment Password (wallet password)",
    },
    "ozon": {
        "sub_account": "Settings › Employees (Сотрудники)",
        "role": "Settings › Employees › Roles",
        "role_grant": "Settings › Employees › Edit › Roles",
        "department": "Settings (no departments)",
    },
    "douyin": {
        "sub_account": "子账号管理 › 员工列表",
        "role": "子账号管理 › 岗位管理",
        "role_grant": "子账号管理 › 员工列表 › 编辑 › 岗位",
        "shop_binding": "店铺 › 账号绑定 (官方账号 / 渠道号 / 自营账号)",
        "department": "子账号管理 (no departments)",
    },
    "kuaishou": {
        "sub_account": "店铺 › 子账号管理 › 员工管理",
        "role": "店铺 › 子账号管理 › 角色管理",
        "role_grant": "店铺 › 子账号管理 › 员工管理 › 编辑 › 角色",
        "department": "子账号管理 (no departments)",
    },
}
