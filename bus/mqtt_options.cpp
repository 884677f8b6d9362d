#include "bus/mqtt_options.h"

#include <charconv>

namespace edgenode::bus {

Result<BrokerAddress> parse_mqtt_url(const std::string& url) {
  BrokerAddress address;
  std::string_view rest = url;
  if (rest.starts_with("mqtt://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("mqtts://")) {
    rest.remove_prefix(8);
    address.tls = true;
    address.port = 8883;
  } else {
    return bad_input("MQTT url '" + url + "' must start with mqtt:// or mqtts://");
  }
  // user:password@host would put the password in every log line that names the url, and
  // this message does not repeat the url for the same reason.
  if (rest.substr(0, rest.find('/')).find('@') != std::string_view::npos)
    return bad_input("MQTT url must not hold a user name or password (user:password@host): give them as username "
                     "and password or password_file");
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  std::string_view port_text;
  if (rest.starts_with("[")) {  // [::1]:1883
    auto close = rest.find(']');
    if (close == std::string_view::npos) return bad_input("MQTT url '" + url + "' has an unclosed '['");
    address.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad_input("MQTT url '" + url + "' has text after the host");
      port_text = rest.substr(1);
    }
  } else {
    auto colon = rest.rfind(':');
    address.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
  }
  if (address.host.empty()) return bad_input("MQTT url '" + url + "' has no host");
  if (address.host.find('/') != std::string::npos)
    return bad_input("MQTT url '" + url + "' must not have a path");
  if (!port_text.empty() || rest.ends_with(":")) {
    int port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 || port > 65535)
      return bad_input("MQTT url '" + url + "' has an invalid port '" + std::string(port_text) + "'");
    address.port = port;
  }
  return address;
}

}  // namespace edgenode::bus
