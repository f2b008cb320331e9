from __future__ import annotations

from flask import current_app

from feedback.api.mp import blp
from feedback.api.mp.schemas import SessionIn, SessionOut
from feedback.extensions import limiter
from feedback.services.mp_session import login


@blp.route("/session", methods=["POST"], endpoint="session")
@limiter.limit(lambda: current_app.config["RATE_LIMIT_LOGIN"], key_func=lambda: "mp-login")
@blp.arguments(SessionIn)
@blp.response(200, SessionOut)
def create_session(payload):
    """用微信 wx.login 得到的 code 登录，换取令牌。

    服务器只保存 openid 的带密钥散列（化名），用于限流；不与任何反映关联。
    """
    issued = login(payload["code"])
    return {"token": issued.token, "expires_in": issued.expires_in}
