"""Chinese labels for statuses and timeline actions shown to users."""

FEEDBACK_STATUS_LABELS = {
    "submitted": "待研判",
    "assigned": "已交办",
    "in_consultation": "会商中",
    "responded": "已反馈",
    "closed": "已办结",
    "needs_info": "待补充",
    "rejected": "不予受理",
    "merged": "已合并",
}

# What the reporter reads in the timeline for each event action.
REPORTER_ACTION_LABELS = {
    "submitted": "已收到您的反映",
}
