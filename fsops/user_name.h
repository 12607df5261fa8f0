// Copyright persist authors.
//
// user_name: users and groups in words, for messages that say whose a path
// is and who could not change it.

#ifndef PERSIST_FSOPS_USER_NAME_H_
#define PERSIST_FSOPS_USER_NAME_H_

#include <sys/types.h>

#include <string>

namespace persist {

// The user's login name, or "" when the host has none for it.
std::string LoginName(uid_t uid);

// The user's login name, or "uid N" when the host has none for it.
std::string UserName(uid_t uid);

// "www-data (uid 33)", or "uid 33" when the host has no name for it.
std::string DescribeUser(uid_t uid);

}  // namespace persist

#endif  // PERSIST_FSOPS_USER_NAME_H_
