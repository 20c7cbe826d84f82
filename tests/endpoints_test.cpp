// Endpoints: one broker address gives the three endpoints; ROC_BROKER overrides the default.
#include <doctest/doctest.h>

#include <roc/endpoints.hpp>

#include <cstdlib>
#include <stdexcept>

TEST_CASE("an address gives the calls, publish and subscribe endpoints on consecutive ports") {
  SUBCASE("the default is localhost:5555") {
    roc::Endpoints e;
    CHECK(e.calls() == "tcp://localhost:5555");
    CHECK(e.publish() == "tcp://localhost:5556");
    CHECK(e.subscribe() == "tcp://localhost:5557");
  }
  SUBCASE("a bare host takes the default port") {
    roc::Endpoints e{"lab-pc"};
    CHECK(e.calls() == "tcp://lab-pc:5555");
    CHECK(e.address() == "lab-pc:5555");
  }
  SUBCASE("host:port") {
    roc::Endpoints e{"127.0.0.1:7000"};
    CHECK(e.host() == "127.0.0.1");
    CHECK(e.port() == 7000);
    CHECK(e.subscribe() == "tcp://127.0.0.1:7002");
  }
  SUBCASE("a full tcp:// address") {
    roc::Endpoints e{"tcp://example:6000"};
    CHECK(e.calls() == "tcp://example:6000");
    CHECK(e.publish() == "tcp://example:6001");
  }
  SUBCASE("an IPv6 literal in brackets") {
    roc::Endpoints e{"[::1]:6000"};
    CHECK(e.calls() == "tcp://[::1]:6000");
  }
  SUBCASE("ipc paths get suffixes instead of ports") {
    roc::Endpoints e{"ipc:///tmp/roc-test"};
    CHECK(e.calls() == "ipc:///tmp/roc-test");
    CHECK(e.publish() == "ipc:///tmp/roc-test.pub");
    CHECK(e.subscribe() == "ipc:///tmp/roc-test.sub");
  }
}

TEST_CASE("a malformed address is rejected with a message naming it") {
  for (const char* bad : {"", "host:notaport", "host:70000", "udp://x:1", ":5555", "[::1", "ipc://"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(roc::Endpoints{bad}, std::invalid_argument);
  }
  CHECK_THROWS_WITH(roc::Endpoints{"host:abc"}, doctest::Contains("host:abc"));
}

TEST_CASE("ROC_BROKER overrides the default address") {
  ::setenv("ROC_BROKER", "10.1.2.3:6000", 1);
  CHECK(roc::Endpoints::from_env().calls() == "tcp://10.1.2.3:6000");
  ::setenv("ROC_BROKER", "", 1);
  CHECK(roc::Endpoints::from_env().calls() == "tcp://localhost:5555");
  ::unsetenv("ROC_BROKER");
  CHECK(roc::Endpoints::from_env().port() == 5555);
}
