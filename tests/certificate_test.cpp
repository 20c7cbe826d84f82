// CURVE certificate files and credentials: roc's own round trip, the files pyzmq and czmq write,
// file modes, and a clear error naming the file for everything that is not a usable certificate.
#include <doctest/doctest.h>

#include <roc/endpoints.hpp>
#include <roc/security.hpp>

#include "security/certificate_text.hpp"
#include "support/temp_dir.hpp"

#include <sys/stat.h>

#include <fstream>
#include <string>

namespace {

const std::string data_dir = ROC_TEST_DATA "/certificates/";
// The key pair of the pyzmq and czmq fixtures (tests/data/certificates/README.md).
const std::string fixture_public = "}]b-!e@a<5i^<m22Go<{5vEYAH)Lp-w#9I^Cz+S*";
const std::string fixture_secret = "hG2x]ASI8jxnBa}QoFD/CZtTd{qW081mib>V[gyG";
const std::string other_public = "upq!^/P3#Cmvt/-HGhSsGb^cT6Ef8^.+*LMtHb2+";

void write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

unsigned mode_of(const std::string& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

/// What load() says about `text` in a file; empty when it loads.
std::string load_error(const roc::test::TempDir& dir, const std::string& text) {
  const auto path = dir / "broken.key";
  write(path, text);
  try {
    roc::Certificate::load(path);
    return {};
  } catch (const roc::CertificateError& e) {
    return e.what();
  }
}

std::string curve(const std::string& public_key, const std::string& secret_key = {}) {
  std::string text = "metadata\ncurve\n    public-key = \"" + public_key + "\"\n";
  if (!secret_key.empty()) text += "    secret-key = \"" + secret_key + "\"\n";
  return text;
}

}  // namespace

TEST_CASE("a certificate saved and loaded again keeps its keys and metadata") {
  roc::test::TempDir dir;
  auto original = roc::Certificate::generate();
  original.set_meta("name", "lab-pc-3");
  original.set_meta("roc-serve", "vnir cam-*");
  original.set_meta("roc-publish", "log status.vnir");
  original.save(dir / "lab-pc-3");

  const auto secret = roc::Certificate::load(dir / "lab-pc-3.key_secret");
  CHECK(secret.public_key() == original.public_key());
  CHECK(secret.secret_key() == original.secret_key());
  CHECK(secret.metadata() == original.metadata());
  CHECK(secret.name() == "lab-pc-3");
  CHECK(secret.meta("roc-serve") == "vnir cam-*");
  CHECK_FALSE(secret.meta("roc-call").has_value());

  const auto pub = roc::Certificate::load(dir / "lab-pc-3.key");
  CHECK(pub.public_key() == original.public_key());
  CHECK_FALSE(pub.has_secret());
  CHECK(pub.secret_key().empty());
  CHECK(pub.metadata() == original.metadata());
  CHECK(original.public_only().public_text() == original.public_text());
  CHECK_FALSE(original.public_only().has_secret());

  SUBCASE("without a name the public key names it") {
    const auto anonymous = roc::Certificate::generate();
    CHECK(anonymous.name() == anonymous.public_key());
    CHECK(anonymous.public_key().size() == 40);
    CHECK(anonymous.secret_key().size() == 40);
    CHECK(anonymous.public_key() != roc::Certificate::generate().public_key());
  }
}

TEST_CASE("the secret file is readable by its owner only, also when it replaces a laxer one") {
  roc::test::TempDir dir;
  const auto base = dir / "key";
  write(base + ".key_secret", "old");
  REQUIRE(::chmod((base + ".key_secret").c_str(), 0666) == 0);
  const auto certificate = roc::Certificate::generate();
  certificate.save(base);
  CHECK(mode_of(base + ".key_secret") == 0600);
  CHECK((mode_of(base + ".key") & 0600) == 0600);
  CHECK((mode_of(base + ".key") & 0133) == 0);  // 0644 at most: readable, writable by the owner only
  CHECK(roc::Certificate::load(base + ".key_secret").secret_key() == certificate.secret_key());
  CHECK_FALSE(std::ifstream(base + ".key_secret.tmp").good());  // no temporary left behind

  SUBCASE("a public certificate writes no secret file") {
    certificate.public_only().save(dir / "public-only");
    CHECK(std::ifstream(dir / "public-only.key").good());
    CHECK_FALSE(std::ifstream(dir / "public-only.key_secret").good());
  }
}

TEST_CASE("roc reads the certificate files pyzmq and czmq write") {
  SUBCASE("pyzmq: metadata values unquoted") {
    const auto secret = roc::Certificate::load(data_dir + "pyzmq-lab.key_secret");
    CHECK(secret.public_key() == fixture_public);
    CHECK(secret.secret_key() == fixture_secret);
    CHECK(secret.name() == "pyzmq-lab");
    CHECK(secret.meta("roc-serve") == "vnir cam-*");
    CHECK(secret.meta("roc-publish") == "log status.vnir");
    const auto pub = roc::Certificate::load(data_dir + "pyzmq-lab.key");
    CHECK(pub.public_key() == fixture_public);
    CHECK_FALSE(pub.has_secret());
    CHECK(pub.metadata() == secret.metadata());
  }
  SUBCASE("pyzmq: an empty metadata section") {
    const auto pub = roc::Certificate::load(data_dir + "pyzmq-no-metadata.key");
    CHECK(pub.public_key() == other_public);
    CHECK(pub.metadata().empty());
    CHECK(pub.name() == other_public);
  }
  SUBCASE("czmq: metadata values quoted") {
    const auto secret = roc::Certificate::load(data_dir + "czmq-lab.key_secret");
    CHECK(secret.public_key() == fixture_public);
    CHECK(secret.secret_key() == fixture_secret);
    CHECK(secret.name() == "czmq-lab");
    CHECK(secret.meta("roc-call") == "vnir");
  }
}

TEST_CASE("roc writes the layout pyzmq's load_certificate and czmq's zcert_load read") {
  auto certificate = roc::Certificate::generate();
  certificate.set_meta("name", "x");
  const auto pub = certificate.public_text();
  const auto secret = certificate.secret_text();
  // pyzmq takes the text after '=' on the line holding "public-key" / "secret-key", quotes stripped.
  CHECK(pub.find("\nmetadata\n    name = \"x\"\ncurve\n    public-key = \"" + certificate.public_key() + "\"\n") !=
        std::string::npos);
  CHECK(pub.find("secret-key") == std::string::npos);
  CHECK(pub.find(certificate.secret_key()) == std::string::npos);
  CHECK(secret.find("\n    public-key = \"" + certificate.public_key() + "\"\n    secret-key = \"" +
                    certificate.secret_key() + "\"\n") != std::string::npos);
  CHECK(pub.front() == '#');
}

TEST_CASE("a file that is not a usable certificate gets an error naming it and what is wrong") {
  roc::test::TempDir dir;
  SUBCASE("missing") {
    const auto path = dir / "nowhere.key";
    CHECK_THROWS_WITH_AS(roc::Certificate::load(path), doctest::Contains((path + "': No such file").c_str()),
                         roc::CertificateError);
  }
  SUBCASE("a directory") {
    CHECK_THROWS_WITH_AS(roc::Certificate::load(dir.path()), doctest::Contains("not a regular file"),
                         roc::CertificateError);
  }
  SUBCASE("garbage") {
    CHECK(load_error(dir, std::string("\x7f" "ELF\x02\x01\x01\0\0\0", 10)).find("no curve public-key") !=
          std::string::npos);
    CHECK(load_error(dir, "").find("broken.key' is not a ZeroMQ certificate") != std::string::npos);
    CHECK(load_error(dir, "hello = world\n").find("line 1: an entry outside a section") != std::string::npos);
    CHECK(load_error(dir, "# c\n    public-key = \"x\"\n").find("line 2: an indented line before any section") !=
          std::string::npos);
  }
  SUBCASE("a key of the wrong length or not Z85") {
    CHECK(load_error(dir, curve(fixture_public.substr(0, 39))).find("line 3: the public-key is not 40 characters of Z85") !=
          std::string::npos);
    CHECK(load_error(dir, curve(fixture_public + "x")).find("not 40 characters of Z85") != std::string::npos);
    CHECK(load_error(dir, curve(std::string(40, '~'))).find("not 40 characters of Z85") != std::string::npos);
    // libzmq stops at a NUL: half a key must not pass for a whole one (a certificate_fuzz find).
    auto cut = fixture_secret;
    cut.replace(20, 12, std::string(12, '\0'));
    CHECK(load_error(dir, curve(fixture_public, cut)).find("the secret-key is not 40 characters") != std::string::npos);
    CHECK(load_error(dir, curve(fixture_public, fixture_secret.substr(1))).find("line 4: the secret-key") !=
          std::string::npos);
  }
  SUBCASE("a public key that does not belong to the secret key") {
    CHECK(load_error(dir, curve(other_public, fixture_secret)).find("the public key does not belong to the secret key") !=
          std::string::npos);
  }
  SUBCASE("metadata that no ZPL file can hold") {
    CHECK(load_error(dir, "metadata\n    bad name = 1\n" + curve(fixture_public)).find("'bad name' is not a metadata name") !=
          std::string::npos);
    CHECK(load_error(dir, "metadata\n    name = 'a\"b'\n" + curve(fixture_public)).find("the value of 'name'") !=
          std::string::npos);
  }
  SUBCASE("far too large") {
    CHECK(load_error(dir, curve(fixture_public) + std::string(70000, '#')).find("larger than 65536 bytes") !=
          std::string::npos);
  }
  SUBCASE("the secret key alone is enough: the public key follows from it") {
    CHECK(load_error(dir, "curve\n    secret-key = \"" + fixture_secret + "\"\n").empty());
    CHECK(roc::Certificate::load(dir / "broken.key").public_key() == fixture_public);
  }
}

TEST_CASE("the reader takes the ZPL that hand-edited files hold and ignores what is not the certificate's") {
  const auto read = [](const std::string& text) { return roc::detail::parse_certificate(text, "test"); };
  SUBCASE("CRLF line ends, tabs, single quotes, bare values and trailing comments") {
    const auto c = read("metadata\r\n\tname = 'tabbed'\r\n    roc-call = vnir   # only the camera\r\ncurve  # keys\r\n"
                        "    public-key = \"" + fixture_public + "\"\r\n");
    CHECK(c.public_key == fixture_public);
    CHECK(c.metadata.at("name") == "tabbed");
    CHECK(c.metadata.at("roc-call") == "vnir");
  }
  SUBCASE("a nested section's entries are not the section's") {
    const auto c = read("curve\n    public-key = \"" + fixture_public + "\"\n    nested\n        public-key = \"" +
                        other_public + "\"\nmetadata\n    name = n\n    deeper\n        name = not-this\n");
    CHECK(c.public_key == fixture_public);
    CHECK(c.metadata.at("name") == "n");
  }
  SUBCASE("other sections are ignored") {
    const auto c = read("context\n    iothreads = 1\ncurve\n    public-key = \"" + fixture_public + "\"\n");
    CHECK(c.public_key == fixture_public);
    CHECK(c.metadata.empty());
  }
  SUBCASE("what format_certificate writes reads back the same") {
    roc::detail::CertificateFields fields{fixture_public, fixture_secret, {{"name", "a b"}, {"roc-serve", "#x"}}};
    CHECK(read(roc::detail::format_certificate(fields, true)) == fields);
    fields.secret_key.clear();
    CHECK(read(roc::detail::format_certificate(fields, false)) == fields);
  }
}

TEST_CASE("credentials need the broker's certificate, and the own one must be a secret one") {
  roc::test::TempDir dir;
  auto own = roc::Certificate::generate();
  own.set_meta("name", "client");
  own.save(dir / "client");
  auto broker = roc::Certificate::generate();
  broker.set_meta("name", "broker");
  broker.save(dir / "broker");

  SUBCASE("neither: plaintext") {
    const auto c = roc::Credentials::load("", "");
    CHECK_FALSE(c.secure());
    CHECK(c.describe().find("plaintext") == 0);
  }
  SUBCASE("both") {
    const auto c = roc::Credentials::load(dir / "client.key_secret", dir / "broker.key");
    CHECK(c.secure());
    CHECK(c.own->secret_key() == own.secret_key());
    CHECK(c.broker->public_key() == broker.public_key());
    CHECK_FALSE(c.broker->has_secret());
    CHECK(c.describe().find("'client'") != std::string::npos);
    CHECK(c.describe().find(broker.public_key()) != std::string::npos);
  }
  SUBCASE("the broker's secret file gives only its public half") {
    const auto c = roc::Credentials::load("", dir / "broker.key_secret");
    CHECK_FALSE(c.broker->has_secret());
    CHECK_FALSE(c.own.has_value());
  }
  SUBCASE("own without the broker's") {
    CHECK_THROWS_WITH_AS(roc::Credentials::load(dir / "client.key_secret", ""),
                         doctest::Contains("but not the broker's public certificate"), roc::CertificateError);
  }
  SUBCASE("own is a public file") {
    CHECK_THROWS_WITH_AS(roc::Credentials::load(dir / "client.key", dir / "broker.key"),
                         doctest::Contains("client.key' holds no secret key"), roc::CertificateError);
  }
  SUBCASE("a missing broker file is named") {
    CHECK_THROWS_WITH_AS(roc::Credentials::load("", dir / "gone.key"), doctest::Contains("gone.key"),
                         roc::CertificateError);
  }
  SUBCASE("from the environment, naming the variables") {
    roc::test::ScopedEnv cert("ROC_CERT", (dir / "client.key_secret").c_str());
    {
      roc::test::ScopedEnv none("ROC_BROKER_CERT", nullptr);
      CHECK_THROWS_WITH_AS(roc::Credentials::from_env(), doctest::Contains("ROC_CERT/ROC_BROKER_CERT"),
                           roc::CertificateError);
    }
    roc::test::ScopedEnv broker_cert("ROC_BROKER_CERT", (dir / "broker.key").c_str());
    CHECK(roc::Credentials::from_env().own->name() == "client");
    SUBCASE("options win over the variables") {
      broker.save(dir / "second");
      auto second = roc::Certificate::generate();
      second.save(dir / "second-client");
      const auto endpoints = roc::Endpoints::resolve("", dir / "second-client.key_secret", "");
      CHECK(endpoints.credentials().own->public_key() == second.public_key());
      CHECK(endpoints.credentials().broker->public_key() == broker.public_key());
    }
  }
}
