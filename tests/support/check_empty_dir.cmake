# Fails when DIR holds anything, naming what, and removes it: every test run starts clean, and a
# test that leaves a file behind (issue 13, point 7) fails the run that made it.
file(GLOB left LIST_DIRECTORIES true RELATIVE "${DIR}" "${DIR}/*" "${DIR}/.*")
list(REMOVE_ITEM left "." "..")
if(left)
  foreach(name ${left})
    file(REMOVE_RECURSE "${DIR}/${name}")
  endforeach()
  string(REPLACE ";" "\n  " listed "${left}")
  message(FATAL_ERROR "the tests left these in ${DIR} (TMPDIR of every test; now removed):\n  ${listed}")
endif()
