// roc-gen: annotated header → IDL JSON and/or generated `.roc.hpp`; IDL JSON → typed proxy.
// Fails like a compiler: `file:line:col: error: ...` on stderr, exit 1, and no output file touched.
#include "emit/emitters.hpp"
#include "model/idl_json.hpp"
#ifdef ROC_GEN_HAS_SCANNER
#include "frontend/scanner.hpp"
#endif

#include <roc/cli.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct Failure {
  std::string message;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Failure{fmt::format("{}: error: cannot read the file", path)};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Writes `text` next to `path` and renames it over `path`, so a reader (or make) never sees a
/// half-written file. Leaves an unchanged file untouched, so its timestamp does not trigger rebuilds.
void write_file(const std::string& path, const std::string& text) {
  std::error_code ec;
  if (fs::exists(path, ec)) {
    std::ifstream old(path, std::ios::binary);
    std::ostringstream current;
    current << old.rdbuf();
    if (current.str() == text) return;
  }
  fs::path target(path);
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
      fs::remove(tmp, ec);
      throw Failure{fmt::format("{}: error: cannot write the file", path)};
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw Failure{fmt::format("{}: error: cannot write the file: {}", path, ec.message())};
  }
}

/// Locations in emitted documents name files by base name: generated text must not depend on
/// where the build tree is (and the IDL is served to clients on other machines).
void relativize(roc::gen::Document& doc) {
  auto fix = [](roc::gen::Location& loc) {
    if (!loc.file.empty()) loc.file = fs::path(loc.file).filename().string();
  };
  if (!doc.source.empty()) doc.source = fs::path(doc.source).filename().string();
  for (auto& o : doc.objects) {
    fix(o.location);
    for (auto& m : o.methods) fix(m.location);
    for (auto& p : o.properties) fix(p.location);
  }
  for (auto& t : doc.types) fix(t.location);
}

bool is_idl_input(const std::string& path) {
  auto ext = fs::path(path).extension().string();
  return ext == ".json";
}

}  // namespace

int main(int argc, char** argv) {
  // Everything after `--` is the target's compiler flags; CLI11 never sees them.
  std::vector<std::string> compiler_flags;
  int own_argc = argc;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--") {
      own_argc = i;
      compiler_flags.assign(argv + i + 1, argv + argc);
      break;
    }
  }

  CLI::App app{
      "roc-gen: generates roc skeletons and typed proxies.\n"
      "  From an annotated header:  roc-gen camera.hpp -o camera.roc.hpp [--idl camera.idl.json] -- -std=c++17 -Iinclude\n"
      "  From IDL JSON:             roc-gen camera.idl.json -o camera_proxy.roc.hpp",
      "roc-gen"};
  roc::cli::set_program(app, "roc-gen", ROC_GEN_VERSION);
  std::string input, output, idl_output, build_dir, include_as, source_name;
  app.add_option("input", input, "annotated C++ header, or IDL JSON (*.json)")->required();
  app.add_option("-o,--output", output, "the generated C++ header to write");
  app.add_option("--idl", idl_output, "the IDL JSON to write (header input only)");
  app.add_option("-p,--build-dir", build_dir,
                 "directory with compile_commands.json giving the header's flags (else: flags after --)");
  std::string depfile;
  app.add_option("--depfile", depfile,
                 "also write the headers the input includes, as a Makefile rule for the output (header input)");
  app.add_option("--include-as", include_as,
                 "how the generated header includes the input header (default: its absolute path)");
  app.add_option("--source-name", source_name, "name of the input in the banner (default: its file name)");
  std::string umbrella;
  app.add_option("--umbrella", umbrella,
                 "parse this header (which includes the input) instead; only the input's declarations are "
                 "exported, and the generated file includes the umbrella");
  app.footer("Compiler flags for the header go after --. Exit status: 0 on success, 2 on a bad command line, 1 on any other error.");
  if (auto exit = roc::cli::parse(app, own_argc, argv)) return *exit;
  if (output.empty() && idl_output.empty()) {
    std::cerr << "roc-gen: error: nothing to do: give -o and/or --idl\n";
    return 1;
  }

  try {
    roc::gen::Document doc;
    roc::gen::EmitOptions options;
    options.source_name = source_name.empty() ? fs::path(input).filename().string() : source_name;
    if (is_idl_input(input)) {
      if (!idl_output.empty()) throw Failure{"roc-gen: error: --idl needs a header as input"};
      try {
        doc = roc::gen::read_idl(read_file(input), input);
      } catch (const roc::gen::IdlError& e) {
        throw Failure{fmt::format("{}: error: {}", input, e.what())};
      }
      options.from_idl = true;
      // C++ spellings in an IDL document name the server's types, which need not exist here
      // (an external type, an alias): a proxy made from IDL uses the IDL's own C++ mapping.
      for (auto& o : doc.objects) {
        for (auto& m : o.methods) {
          m.returns_cxx.clear();
          for (auto& p : m.params) p.cxx.clear();
        }
        for (auto& p : o.properties) p.cxx.clear();
      }
      for (auto& t : doc.types) {
        for (auto& f : t.fields) f.cxx.clear();
      }
    } else {
#ifdef ROC_GEN_HAS_SCANNER
      roc::gen::ScanOptions scan_options;
      scan_options.build_dir = build_dir;
      scan_options.args = compiler_flags;
      if (build_dir.empty() && compiler_flags.empty()) scan_options.args = {"-std=c++17"};
      if (!depfile.empty()) {
        // Clang writes it while parsing (user headers only: -MMD), naming the generated file as
        // the target, so the build re-runs roc-gen when any of them changes.
        scan_options.extra_args = {"-MMD", "-MF", depfile, "-MT", output.empty() ? idl_output : output};
      }
      std::string header = fs::absolute(input).lexically_normal().string();
      if (!fs::exists(header)) throw Failure{fmt::format("{}: error: no such file", input)};
      if (!umbrella.empty()) {
        scan_options.umbrella = fs::absolute(umbrella).lexically_normal().string();
        if (!fs::exists(scan_options.umbrella)) throw Failure{fmt::format("{}: error: no such file", umbrella)};
      }
      roc::gen::ScanResult scan = roc::gen::scan_file(header, scan_options);
      for (const auto& d : scan.warnings) std::cerr << d.str() << '\n';
      for (const auto& d : scan.errors) std::cerr << d.str() << '\n';
      if (scan.compile_failed) std::cerr << fmt::format("{}: error: the header does not compile (see above)\n", input);
      if (!scan.ok()) return 1;
      doc = std::move(scan.doc);
      doc.source = header;
      // Through the umbrella when there is one: the header itself may refuse to be included alone.
      options.include_header = !include_as.empty() ? include_as : umbrella.empty() ? header : scan_options.umbrella;
#else
      throw Failure{fmt::format("{}: error: this roc-gen was built without its Clang front end "
                                "(ROC_BUILD_SCANNER=OFF); it reads IDL JSON only",
                                input)};
#endif
    }
    relativize(doc);
    // Everything is rendered before anything is written: an error leaves no partial output.
    std::string idl_text = idl_output.empty() ? std::string{} : roc::gen::write_idl(doc);
    std::string header_text = output.empty() ? std::string{} : roc::gen::emit_header(doc, options);
    if (!idl_output.empty()) write_file(idl_output, idl_text);
    if (!output.empty()) write_file(output, header_text);
  } catch (const Failure& f) {
    std::cerr << f.message << '\n';
    return 1;
  } catch (const std::exception& e) {
    std::cerr << fmt::format("roc-gen: error: {}\n", e.what());
    return 1;
  }
  return 0;
}
