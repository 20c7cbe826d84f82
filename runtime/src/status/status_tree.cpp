// Status paths, masks, JSON Merge Patch and cutting trees to masks: the pure, socket-free part
// of the status feature, shared by publishers, the broker's cache and subscribers.
#include "wire/status_protocol.hpp"

#include <roc/json_reader.hpp>
#include <roc/status.hpp>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace roc {
namespace detail::status {

Path split(std::string_view path) {
  Path out;
  if (path.empty()) return out;
  std::size_t start = 0;
  while (true) {
    const auto dot = path.find('.', start);
    const auto segment = path.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (segment.empty())
      throw std::invalid_argument("status path '" + std::string(path) +
                                  "' has an empty segment; write segments separated by single dots");
    // Segments become keys of JSON objects, and JSON text is UTF-8.
    if (!roc::json::is_utf8(segment)) throw std::invalid_argument("a status path must be UTF-8 text");
    out.emplace_back(segment);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

std::string join(const Path& path) {
  std::string out;
  for (const auto& s : path) {
    if (!out.empty()) out += '.';
    out += s;
  }
  return out;
}

bool is_prefix(const Path& a, const Path& b) {
  return a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin());
}

std::vector<Path> normalize_masks(const std::vector<std::string>& masks) {
  std::vector<Path> split_masks;
  for (const auto& m : masks) split_masks.push_back(split(m));
  if (split_masks.empty()) split_masks.emplace_back();
  // Shorter first, so a mask covered by an earlier one is seen after it.
  std::sort(split_masks.begin(), split_masks.end(),
            [](const Path& x, const Path& y) { return x.size() < y.size(); });
  std::vector<Path> out;
  for (auto& m : split_masks) {
    const bool covered = std::any_of(out.begin(), out.end(), [&](const Path& o) { return is_prefix(o, m); });
    if (!covered) out.push_back(std::move(m));
  }
  return out;
}

std::vector<std::string> zmq_prefixes(const std::vector<Path>& masks, std::string_view prefix) {
  std::vector<std::string> out;
  for (const auto& m : masks) {
    std::string p(prefix);
    if (!m.empty()) p += m.front();
    // A broader prefix already present makes this one redundant, and vice versa.
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  if (std::find(out.begin(), out.end(), std::string(prefix)) != out.end()) return {std::string(prefix)};
  return out;
}

namespace {

const rapidjson::Value* child(const rapidjson::Value& v, const std::string& name) {
  if (!v.IsObject()) return nullptr;
  const auto it = v.FindMember(rapidjson::StringRef(name.data(), name.size()));
  return it == v.MemberEnd() ? nullptr : &it->value;
}

rapidjson::Value* child(rapidjson::Value& v, const std::string& name) {
  if (!v.IsObject()) return nullptr;
  const auto it = v.FindMember(rapidjson::StringRef(name.data(), name.size()));
  return it == v.MemberEnd() ? nullptr : &it->value;
}

/// The object member `name` of `v` (made an object if it is not), created empty when missing.
rapidjson::Value& ensure_child(rapidjson::Value& v, const std::string& name,
                               rapidjson::Document::AllocatorType& a) {
  if (!v.IsObject()) v.SetObject();
  if (auto* c = child(v, name)) return *c;
  v.AddMember(rapidjson::Value(name.c_str(), static_cast<rapidjson::SizeType>(name.size()), a),
              rapidjson::Value(rapidjson::kNullType), a);
  return (v.MemberEnd() - 1)->value;
}

}  // namespace

bool cut(const Path& at, const rapidjson::Value& value, const std::vector<Path>& masks,
         rapidjson::Value& out, rapidjson::Document::AllocatorType& a) {
  bool any = false;
  out.SetObject();
  for (const auto& m : masks) {
    if (is_prefix(m, at)) {  // the mask covers the whole update
      out.CopyFrom(value, a);
      return true;
    }
    if (!is_prefix(at, m)) continue;  // unrelated branch
    // The update sits above the mask: keep the masked part of it, under its own path.
    const rapidjson::Value* node = &value;
    for (std::size_t i = at.size(); i < m.size() && node; ++i) node = child(*node, m[i]);
    if (!node) continue;
    rapidjson::Value* dst = &out;
    for (std::size_t i = at.size(); i + 1 < m.size(); ++i) dst = &ensure_child(*dst, m[i], a);
    ensure_child(*dst, m.back(), a).CopyFrom(*node, a);
    any = true;
  }
  return any;
}

void merge_patch(rapidjson::Value& target, const rapidjson::Value& patch,
                 rapidjson::Document::AllocatorType& a) {
  if (!patch.IsObject()) {
    target.CopyFrom(patch, a);
    return;
  }
  if (!target.IsObject()) target.SetObject();
  for (auto m = patch.MemberBegin(); m != patch.MemberEnd(); ++m) {
    if (m->value.IsNull()) {
      target.RemoveMember(m->name);
      continue;
    }
    auto it = target.FindMember(m->name);
    if (it == target.MemberEnd()) {
      rapidjson::Value fresh(rapidjson::kNullType);
      merge_patch(fresh, m->value, a);  // strips nulls nested in the patch
      target.AddMember(rapidjson::Value(m->name, a), fresh, a);
    } else {
      merge_patch(it->value, m->value, a);
    }
  }
}

void merge_at(rapidjson::Value& root, const Path& path, const rapidjson::Value& value,
              rapidjson::Document::AllocatorType& a) {
  if (path.empty()) {
    if (!value.IsObject()) throw std::invalid_argument("the status tree's root must be an object");
    merge_patch(root, value, a);
    return;
  }
  rapidjson::Value* node = &root;
  for (std::size_t i = 0; i + 1 < path.size(); ++i) {
    if (value.IsNull() && !child(*node, path[i])) return;  // removing what is not there
    node = &ensure_child(*node, path[i], a);
  }
  if (value.IsNull()) {
    if (node->IsObject())
      node->RemoveMember(rapidjson::StringRef(path.back().data(), path.back().size()));
    return;
  }
  merge_patch(ensure_child(*node, path.back(), a), value, a);
}

json::ReadError read_body(rapidjson::Document& doc, std::size_t path_depth, std::string_view text) {
  if (path_depth >= json::max_depth) {
    doc.SetNull();
    json::ReadError error;
    error.message = "status path of " + std::to_string(path_depth) + " segments is deeper than the " +
                    std::to_string(json::max_depth) + " levels a status tree may have";
    error.too_deep = true;
    return error;
  }
  return json::read(doc, text, json::max_depth - static_cast<unsigned>(path_depth));
}

std::optional<std::uint64_t> parse_seq(std::string_view text) {
  std::uint64_t v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

std::string snapshot_request(std::string_view token, const std::vector<std::string>& masks) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartArray();
  for (const auto& m : masks) w.String(m.data(), static_cast<rapidjson::SizeType>(m.size()));
  w.EndArray();
  return std::string(snapshot_prefix) + std::string(token) + ' ' + buf.GetString();
}

std::optional<std::vector<std::string>> parse_snapshot_request(std::string_view topic) {
  if (topic.substr(0, snapshot_prefix.size()) != snapshot_prefix) return std::nullopt;
  const auto space = topic.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto json = topic.substr(space + 1);
  rapidjson::Document d;
  if (roc::json::read(d, json) || !d.IsArray()) return std::nullopt;
  std::vector<std::string> masks;
  for (const auto& m : d.GetArray()) {
    if (!m.IsString()) return std::nullopt;
    masks.emplace_back(m.GetString(), m.GetStringLength());
  }
  return masks;
}

}  // namespace detail::status

namespace st = detail::status;

std::vector<std::string> split_status_path(std::string_view path) { return st::split(path); }

bool status_path_matches(std::string_view mask, std::string_view path) {
  const auto m = st::split(mask), p = st::split(path);
  return st::is_prefix(m, p) || st::is_prefix(p, m);
}

StatusTree::StatusTree() { tree_.value().SetObject(); }

void StatusTree::merge(std::string_view path, const rapidjson::Value& value) {
  merge_written(path, value, nullptr, 0);
}

void StatusTree::merge(std::string_view path, const rapidjson::Value& value, const StatusSource& source) {
  merge_written(path, value, &source, 0);
}

void StatusTree::maybe_compact() {
  const auto used = tree_.allocator().Size();
  if (used < 4 * compacted_bytes_ + (std::size_t{1} << 20)) return;
  json::Json fresh;
  fresh.value().CopyFrom(tree_.value(), fresh.allocator());
  tree_ = std::move(fresh);
  compacted_bytes_ = tree_.allocator().Size();
}

void StatusTree::merge(const StatusUpdate& update) {
  if (update.empty()) return;
  if (update.snapshot) {
    reset(update.value.value(), update.sources);
  } else if (update.stale) {
    for (const auto& source : update.sources) mark_stale(source);
  } else {
    const auto* source = update.sources.empty() ? nullptr : &update.sources.front();
    merge_written(update.path, update.value.value(), source, 0);
  }
}

void StatusTree::reset(const rapidjson::Value& root, std::vector<StatusSource> sources) {
  json::Json fresh;
  if (root.IsObject())
    fresh.value().CopyFrom(root, fresh.allocator());
  else
    fresh.value().SetObject();
  tree_ = std::move(fresh);
  sources_.clear();
  for (auto& s : sources) {
    auto key = s.path;
    sources_[std::move(key)] = Source{std::move(s), 0};
  }
}

const rapidjson::Value* StatusTree::find(std::string_view path) const {
  const rapidjson::Value* node = &tree_.value();
  for (const auto& s : st::split(path)) {
    if (!node->IsObject()) return nullptr;
    const auto it = node->FindMember(rapidjson::StringRef(s.data(), s.size()));
    if (it == node->MemberEnd()) return nullptr;
    node = &it->value;
  }
  return node;
}

StatusTree StatusTree::cut(const std::vector<std::string>& masks) const {
  StatusTree out;
  const auto normalized = st::normalize_masks(masks);
  st::cut({}, tree_.value(), normalized, out.tree_.value(), out.tree_.allocator());
  for (const auto& [path, source] : sources_) {
    const auto p = st::split(path);
    if (std::any_of(normalized.begin(), normalized.end(), [&](const st::Path& m) { return st::related(m, p); }))
      out.sources_.emplace(path, source);
  }
  return out;
}

}  // namespace roc
