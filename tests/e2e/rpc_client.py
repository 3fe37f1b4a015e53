#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""A real MS-RPC client for tests/e2e/90-rpc-samba.sh (Debian's impacket).

    rpc_client.py SERVER --iface samr|netlogon|drsuapi [--source ADDR]
                  [--epm-auth] [--map-only | --port PORT] [--timeout S]

1. Unless --port: one ept_map (opnum 3) on its own TCP connection to
   SERVER:135, asking for the interface over ncacn_ip_tcp (5-floor tower,
   max_towers 4); with --epm-auth the EPM call itself is NTLM-authenticated
   at RPC_C_AUTHN_LEVEL_PKT_INTEGRITY (MS-RPCE 3.3.2.6.3: the stub stays
   clear, signed). Prints "TOWER ..." per tower and "PORT N".
2. Unless --map-only: connects to that port (or --port), binds the
   interface with NTLM at packet privacy and makes one real call: samr
   SamrConnect + SamrEnumerateDomainsInSamServer, netlogon DsrGetDcNameEx2,
   drsuapi DRSBind.

The last line is "OK ..." (exit 0) or "FAIL STAGE ..." (exit 1), STAGE one
of epm (the endpoint mapper did not answer), connect (the dynamic port did
not take the connection), call (it did, the call failed). Every socket has
--timeout (default 2 s): a SYN the firewall drops fails within it.
--source binds the client's address (the namespace has two).
"""
import argparse
import socket
import struct
import sys
import time

from impacket.dcerpc.v5 import drsuapi, epm, nrpc, samr, transport
from impacket.dcerpc.v5.rpcrt import (RPC_C_AUTHN_LEVEL_PKT_INTEGRITY,
                                      RPC_C_AUTHN_LEVEL_PKT_PRIVACY)
from impacket.uuid import bin_to_uuidtup, uuidtup_to_bin

IFACES = {
    'samr': samr.MSRPC_UUID_SAMR,
    'netlogon': nrpc.MSRPC_UUID_NRPC,
    'drsuapi': drsuapi.MSRPC_UUID_DRSUAPI,
}
NDR20 = uuidtup_to_bin(('8a885d04-1ceb-11c9-9fe8-08002b104860', '2.0'))
MAX_FLOORS = 6


class Stage(Exception):
    def __init__(self, stage, what):
        super().__init__(what)
        self.stage = stage


class SourceTCPTransport(transport.TCPTransport):
    """ncacn_ip_tcp from a chosen source address (impacket has no bind)."""

    def __init__(self, host, port, source, timeout):
        super().__init__(host, port)
        self.source = source
        self.set_connect_timeout(timeout)

    def connect(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(self.get_connect_timeout())
        try:
            if self.source:
                s.bind((self.source, 0))
            s.connect((self.getRemoteHost(), self.get_dport()))
        except OSError as e:
            s.close()
            raise Stage('connect', 'connect %s:%d: %s' %
                        (self.getRemoteHost(), self.get_dport(), e))
        # The base class keeps its socket in a name-mangled attribute.
        self._TCPTransport__socket = s
        return 1


def dce_for(a, port, auth_level):
    t = SourceTCPTransport(a.server, port, a.source, a.timeout)
    if auth_level:
        t.set_credentials(a.user, a.password, a.domain)
    dce = t.get_dce_rpc()
    if auth_level:
        dce.set_auth_level(auth_level)
    dce.connect()
    return dce


def map_tower(iface):
    """The tower ept_map asks with: iface, NDR20, RPC-CO, TCP port 0, IP 0."""
    f1 = epm.EPMRPCInterface()
    f1['InterfaceUUID'] = iface[:16]
    f1['MajorVersion'] = struct.unpack('<H', iface[16:18])[0]
    f1['MinorVersion'] = struct.unpack('<H', iface[18:20])[0]
    f2 = epm.EPMRPCDataRepresentation()
    f2['DataRepUuid'] = NDR20[:16]
    f2['MajorVersion'] = 2
    f2['MinorVersion'] = 0
    f3 = epm.EPMProtocolIdentifier()
    f3['ProtIdentifier'] = epm.FLOOR_RPCV5_IDENTIFIER
    f4 = epm.EPMPortAddr()
    f4['IpPort'] = 0
    f5 = epm.EPMHostAddr()
    f5['Ip4addr'] = socket.inet_aton('0.0.0.0')
    tower = epm.EPMTower()
    tower['NumberOfFloors'] = 5
    tower['Floors'] = b''.join(f.getData() for f in (f1, f2, f3, f4, f5))
    return tower.getData()


def floors(raw):
    """(uuid tuple, port) of one answered tower; a bounded walk."""
    (n,) = struct.unpack_from('<H', raw, 0)
    off, uu, port = 2, None, None
    for _ in range(min(n, MAX_FLOORS)):
        (ll,) = struct.unpack_from('<H', raw, off)
        lhs = raw[off + 2:off + 2 + ll]
        off += 2 + ll
        (rl,) = struct.unpack_from('<H', raw, off)
        rhs = raw[off + 2:off + 2 + rl]
        off += 2 + rl
        if lhs[:1] == b'\x0d' and uu is None and len(lhs) == 19:
            uu = bin_to_uuidtup(lhs[1:19] + rhs[:2])
        elif lhs == b'\x07' and len(rhs) == 2:
            (port,) = struct.unpack('>H', rhs)
    return uu, port


def ept_map(a, iface):
    level = RPC_C_AUTHN_LEVEL_PKT_INTEGRITY if a.epm_auth else None
    try:
        dce = dce_for(a, 135, level)
        dce.bind(epm.MSRPC_UUID_PORTMAP)
        req = epm.ept_map()
        tower = map_tower(iface)
        req['max_towers'] = 4
        req['map_tower']['tower_length'] = len(tower)
        req['map_tower']['tower_octet_string'] = tower
        # The referent ids Windows expects (impacket's hept_map says so).
        req.fields['obj'].fields['ReferentID'] = 1
        req.fields['map_tower'].fields['ReferentID'] = 2
        resp = dce.request(req)
        dce.disconnect()
    except Stage as e:
        raise Stage('epm', str(e))
    except Exception as e:
        raise Stage('epm', 'ept_map: %s' % e)
    ports = []
    for i in range(resp['num_towers']):
        raw = b''.join(resp['ITowers'][i]['Data']['tower_octet_string'])
        uu, port = floors(raw)
        print('TOWER %s v%s port %s' % (uu[0] if uu else '?',
                                        uu[1] if uu else '?', port))
        if port is not None:
            ports.append(port)
    if not ports:
        raise Stage('epm', 'ept_map: no ncacn_ip_tcp tower (status %#x)' %
                    resp['status'])
    return ports[0]


def drs_bind(dce):
    ext = drsuapi.DRS_EXTENSIONS_INT()
    ext['cb'] = len(ext)
    ext['dwFlags'] = (drsuapi.DRS_EXT_GETCHGREQ_V6 |
                      drsuapi.DRS_EXT_GETCHGREPLY_V6 |
                      drsuapi.DRS_EXT_GETCHGREQ_V8 |
                      drsuapi.DRS_EXT_STRONG_ENCRYPTION)
    ext['SiteObjGuid'] = drsuapi.NULLGUID
    ext['Pid'] = 0
    ext['dwReplEpoch'] = 0
    ext['dwFlagsExt'] = 0
    ext['ConfigObjGUID'] = drsuapi.NULLGUID
    ext['dwExtCaps'] = 0xffffffff
    req = drsuapi.DRSBind()
    req['puuidClientDsa'] = drsuapi.NTDSAPI_CLIENT_GUID
    req['pextClient']['cb'] = len(ext)
    req['pextClient']['rgb'] = list(ext.getData())
    r = dce.request(req)
    return 'DRSBind: server extensions of %d bytes' % r['ppextServer']['cb']


def call(a, port):
    dce = dce_for(a, port, RPC_C_AUTHN_LEVEL_PKT_PRIVACY)
    try:
        dce.bind(IFACES[a.iface])
        if a.iface == 'samr':
            h = samr.hSamrConnect(dce)['ServerHandle']
            r = samr.hSamrEnumerateDomainsInSamServer(dce, h)
            res = 'SamrEnumerateDomainsInSamServer: ' + ','.join(
                d['Name'] for d in r['Buffer']['Buffer'])
        elif a.iface == 'netlogon':
            r = nrpc.hDsrGetDcNameEx2(dce, nrpc.NULL, nrpc.NULL, 0,
                                      nrpc.NULL, nrpc.NULL, nrpc.NULL, 0)
            res = 'DsrGetDcNameEx2: ' + r['DomainControllerInfo'][
                'DomainControllerName'].rstrip('\x00')
        else:
            res = drs_bind(dce)
        dce.disconnect()
    except Stage:
        raise
    except Exception as e:
        raise Stage('call', '%s on port %d: %s' % (a.iface, port, e))
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('server')
    ap.add_argument('--iface', choices=sorted(IFACES), default='samr')
    ap.add_argument('--source', help='client address to connect from')
    ap.add_argument('--epm-auth', action='store_true',
                    help='NTLM at packet integrity on the ept_map call')
    g = ap.add_mutually_exclusive_group()
    g.add_argument('--map-only', action='store_true',
                   help='ept_map only, no call on the port')
    g.add_argument('--port', type=int,
                   help='no ept_map: call on this port directly')
    ap.add_argument('--timeout', type=float, default=2.0)
    ap.add_argument('--user', default='Administrator')
    ap.add_argument('--password', required=True)
    ap.add_argument('--domain', required=True)
    a = ap.parse_args()
    socket.setdefaulttimeout(a.timeout)
    t0 = time.monotonic()
    try:
        port = a.port
        if port is None:
            port = ept_map(a, IFACES[a.iface])
            print('PORT %d' % port)
            if a.map_only:
                print('OK ept_map %s -> %s:%d' % (a.iface, a.server, port))
                return 0
        res = call(a, port)
    except Stage as e:
        print('FAIL %s %s (%.1f s)' % (e.stage, e, time.monotonic() - t0))
        return 1
    print('OK %s on %s:%d %s (%.0f ms)' %
          (a.iface, a.server, port, res, (time.monotonic() - t0) * 1e3))
    return 0


if __name__ == '__main__':
    sys.exit(main())
