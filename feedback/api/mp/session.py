from __future__ import annotations

from flask import current_app

from feedback.api.mp import blp
from feedback.api.mp.schemas import SessionIn, SessionOut
from feedback.extensions import limiter
from feedback.rate_limits import client_key, refusal, take
from feedback.services.intake.session import login

EVERYONE = "mp-login-everyone"


@blp.route("/session", methods=["POST"], endpoint="session")
@limiter.limit(lambda: current_app.config["RATE_LIMIT_LOGIN_PER_CLIENT"], key_func=client_key)
@blp.arguments(SessionIn)
@blp.response(200, SessionOut)
def create_session(payload):
    """用微信 wx.login 得到的 code 登录，换取令牌。

    服务器只保存 openid 的带密钥散列（化名），用于限流；不与任何反映关联。
    """
    # The ceiling for the whole service is counted only once the client's own limit let the
    # request through, so one flooding address cannot use it up for everybody.
    ceiling = current_app.config["RATE_LIMIT_LOGIN"]
    if not take(ceiling, EVERYONE):
        raise refusal(ceiling, EVERYONE, message="登录人数较多，请稍后再试")
    issued = login(payload["code"])
    return {"token": issued.token, "expires_in": issued.expires_in}
