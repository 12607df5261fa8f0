// Copyright persist authors.
//
// ValidateHttpUrl and CheckUrl for the static build (--config=static), which
// has no HTTP client: Debian 12's libcurl.a cannot be linked statically, as
// its GSSAPI (MIT Kerberos) and SASL dependencies ship no static archive,
// and the project does not speak HTTP by hand. Every health URL is refused
// when it is validated, which a deploy, switch or undo does before it
// changes anything: the operator learns it at once, never after a switch
// that went unchecked.

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "net/http_check.h"

namespace persist {
namespace {

absl::Status Unavailable(const std::string& url) {
  return absl::FailedPreconditionError(absl::StrCat(
      "cannot check \"", absl::Utf8SafeCEscape(url),
      "\": this persist is the static build for shared hosts, which has no HTTP client "
      "(libcurl cannot be linked statically on Debian 12: its Kerberos and SASL libraries "
      "have no static archive); run it with --no-health and check the site yourself "
      "(curl -fsS URL), remove health_url from shared/.persistence-config, or install the "
      "persist Debian package, whose binary runs health checks"));
}

}  // namespace

absl::Status ValidateHttpUrl(const std::string& url) { return Unavailable(url); }

absl::StatusOr<HttpCheckResult> CheckUrl(const std::string& url, const HttpExpectation& expect,
                                         const HttpCheckOptions& options) {
  return Unavailable(url);
}

}  // namespace persist
