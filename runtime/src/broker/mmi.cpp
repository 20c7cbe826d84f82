// 8/MMI (rfc.zeromq.org/spec/8) plus roc's mmi.objects and mmi.workers listings, and the
// presence events that report the same workers as they come and go.
#include "broker/mmi.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace roc::detail {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_string(Writer& w, std::string_view text) {
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void write_worker(Writer& w, const WorkerReport& worker) {
  w.StartObject();
  w.Key("host");
  worker.info ? write_string(w, worker.info->host) : (void)w.Null();
  w.Key("pid");
  worker.info ? (void)w.Uint(worker.info->pid) : (void)w.Null();
  w.Key("program");
  worker.info ? write_string(w, worker.info->program) : (void)w.Null();
  w.Key("uptime_s");
  w.Double(worker.uptime_s);
  w.Key("calls");
  w.Uint64(worker.calls);
  w.Key("in_flight");
  w.Uint64(worker.in_flight);
  w.EndObject();
}

std::string text_of(const rapidjson::StringBuffer& buffer) { return {buffer.GetString(), buffer.GetSize()}; }

}  // namespace

std::string mmi_reply(std::string_view service, std::string_view body,
                      const std::map<std::string, std::size_t>& workers) {
  if (service == "mmi.service") {
    auto it = workers.find(std::string(body));
    return it != workers.end() && it->second > 0 ? "200" : "404";
  }
  if (service == "mmi.objects") {
    rapidjson::StringBuffer buffer;
    Writer w(buffer);
    w.StartArray();
    for (const auto& [id, count] : workers) {
      w.StartObject();
      w.Key("id");
      write_string(w, id);
      w.Key("workers");
      w.Uint64(count);
      w.EndObject();
    }
    w.EndArray();
    return text_of(buffer);
  }
  return "501";
}

std::string mmi_workers_reply(const std::vector<std::pair<std::string, std::vector<WorkerReport>>>& objects) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartArray();
  for (const auto& [id, workers] : objects) {
    w.StartObject();
    w.Key("id");
    write_string(w, id);
    w.Key("workers");
    w.StartArray();
    for (const auto& worker : workers) write_worker(w, worker);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  return text_of(buffer);
}

std::string presence_event(std::string_view event, std::string_view id, const WorkerReport& worker,
                           std::size_t workers, std::string_view reason) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("event");
  write_string(w, event);
  w.Key("id");
  write_string(w, id);
  w.Key("workers");
  w.Uint64(workers);
  if (!reason.empty()) {
    w.Key("reason");
    write_string(w, reason);
  }
  w.Key("worker");
  write_worker(w, worker);
  w.EndObject();
  return text_of(buffer);
}

}  // namespace roc::detail
