# Warning flags and sanitizers for sockclose's own targets only: nothing
# here touches global flags, so a parent project is unaffected.
function(sockclose_set_warnings target)
  if(MSVC)
    target_compile_options(${target} PRIVATE /W4)
    if(SOCKCLOSE_WERROR)
      target_compile_options(${target} PRIVATE /WX)
    endif()
  else()
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic
      -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wconversion
      -Wno-sign-conversion)
    if(SOCKCLOSE_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
  if(SOCKCLOSE_SANITIZE_THREAD)
    target_compile_options(${target} PRIVATE -fsanitize=thread -fno-omit-frame-pointer)
    target_link_options(${target} PUBLIC -fsanitize=thread)
  endif()
  if(SOCKCLOSE_SANITIZE)
    target_compile_options(${target} PRIVATE
      -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_link_options(${target} PUBLIC -fsanitize=address,undefined)
  endif()
endfunction()
