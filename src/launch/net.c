/* Interface and host addresses for binding shards. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "launch.h"

int iface_addresses(const char *ifname, char *out, size_t n) {
    struct ifaddrs *ifs;
    if (getifaddrs(&ifs) != 0)
        return -1;
    out[0] = '\0';
    int found = 0;
    for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
        if (i->ifa_addr == NULL || strcmp(i->ifa_name, ifname) != 0)
            continue;
        char addr[INET6_ADDRSTRLEN];
        if (i->ifa_addr->sa_family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, addr, sizeof addr);
        else if (i->ifa_addr->sa_family == AF_INET6 &&
                 !IN6_IS_ADDR_LINKLOCAL(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr))
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, addr, sizeof addr);
        else
            continue;
        size_t used = strlen(out);
        snprintf(out + used, n - used, "%s%s", found ? " " : "", addr);
        found++;
    }
    freeifaddrs(ifs);
    return found > 0 ? 0 : -1;
}

int host_address(const char *host, char *out, size_t n) {
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
    if (getaddrinfo(host, NULL, &hints, &res) != 0)
        return -1;
    inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, out, (socklen_t)n);
    freeaddrinfo(res);
    return 0;
}
