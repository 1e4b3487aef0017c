"""Points claims pages (党建积分申报)."""
