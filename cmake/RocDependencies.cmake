# Finds roc's third-party dependencies, all from Debian's packages (see scripts/setup).
find_package(cppzmq REQUIRED CONFIG)   # brings libzmq through pkg-config
find_package(RapidJSON REQUIRED CONFIG)
find_package(fmt REQUIRED CONFIG)
find_package(spdlog REQUIRED CONFIG)
find_package(Threads REQUIRED)

