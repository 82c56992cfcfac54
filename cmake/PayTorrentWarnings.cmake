# One place for compiler warnings, applied per target by pt_set_warnings().
function(pt_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local
                                           -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual)
  if(PT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
