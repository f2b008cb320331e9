-- wrk script for tests/bench/bench_submit.py: POST feedback bodies that rotate over
-- realistic complaints. Environment:
--   BENCH_TOKEN  bearer token for the service (the bare app ignores the header)
--   BENCH_RUN    a run id, so every Idempotency-Key is unique across wrk runs
-- Each thread counts status codes; done() prints them as "status <code> <count>".

local texts = {
  {"problem", "一些县市陪会现象依然存在，没有庄稼地的街道也要参加秸秆焚烧会议，一个下午三个会，全是陪坐。"},
  {"problem", "区里开会要求乡镇主要领导全部参加，会上念文件一个多小时，回来还要再开传达会，传达会还要拍照留痕上传。"},
  {"problem", "上周一周参加了七个视频会议，很多和我们社区的工作没有关系，但要求必须在镜头前坐满全程，不能离开。"},
  {"problem", "一项普通的环境整治工作，要求每天上报工作日志、现场照片和视频，照片必须带水印和定位，漏一天就通报。"},
  {"problem", "检查组来了不看实际效果，只翻台账，台账要求打印装订、彩色封面，一个村每年光打印费就要好几千元。"},
  {"problem", "街道被县直部门借调走了三个年轻干部，一借就是一年多，人事关系还在街道，街道的活只能剩下的人加班干。"},
  {"problem", "乡镇本来人手就紧，县里各部门以跟班学习名义抽调人员，专班一个接一个，原岗位的工作没人接手。"},
  {"problem", "食品安全、消防、安全生产本来是部门的执法职责，现在一句属地管理全部压给乡镇，乡镇没有执法权却要签责任状。"},
  {"problem", "出了问题先追究属地责任，部门把检查任务转给社区，社区工作人员没有专业知识，只能拍照上报，出了事还被问责。"},
  {"problem", "手机上装了十几个政务APP，每个都要每天登录打卡、学习积分，积分排名在工作群里通报，晚上还要刷积分。"},
  {"problem", "我所在的社区有四十多个工作群，各部门随时在群里发通知要求立即回复收到，周末深夜也要盯着手机。"},
  {"problem", "同一份人口数据，民政、卫健、公安、统计各要一遍，表格格式还不一样，同一个数据每个月重复填报好几次。"},
  {"problem", "年底督查检查考核扎堆，一个月迎接了五批检查，每批都要汇报材料和自查报告，正常工作几乎停下来。"},
  {"problem", "考核指标层层加码，县里要求百分之百完成，乡镇只能层层签军令状，完不成就约谈，问责太随意。"},
  {"problem", "文件太多，一个通知转发三四层，每层都要求印发实施方案，基层一个月要写二十多份方案和总结。"},
  {"problem", "要求村干部每天在网格群里晒工作照片，照片少的被点名，大家都在为拍照而工作，群众反映干部只会摆拍。"},
  {"suggestion", "建议县里统一数据平台，一次采集、多方共享，部门需要数据直接从平台调取，不要再让社区重复填表。"},
  {"suggestion", "建议明确部门和乡镇的职责清单，清单以外的事项不得随意交给乡镇，确需交办的要同时下放人员和经费。"},
  {"practice", "我们镇把十二个工作群合并成一个综合群，规定晚上九点后不发工作通知，干部普遍反映轻松了不少。"},
  {"practice", "街道推行一表通，各部门报表先由街道统一梳理，重复的指标只填一次，每月填报时间从三天减到半天。"},
}

local run = os.getenv("BENCH_RUN") or tostring(os.time())
local token = os.getenv("BENCH_TOKEN") or ""
local threads, counter = {}, 0
-- Globals, because thread:set()/thread:get() reach a thread's globals only.
thread_id, statuses = 0, {}

wrk.method = "POST"

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

function init(args)
  counter = thread_id * 7919  -- different start per thread, so rotations do not line up
end

function request()
  counter = counter + 1
  local t = texts[counter % #texts + 1]
  local body = '{"kind":"' .. t[1] .. '","content":"' .. t[2] .. '"}'
  return wrk.format(nil, nil, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = string.format("bench-%s-%d-%d", run, thread_id, counter),
  }, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + n
    end
  end
  for status, n in pairs(total) do
    io.write(string.format("status %d %d\n", status, n))
  end
end
