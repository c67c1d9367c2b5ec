-- wrk script: every request asks for a random machine from MACS_FILE, with the
-- query string iPXE's boot.ipxe sends. Used for kindling and nginx alike so
-- that both see the same client-side cost.
local macs = {}
for line in io.lines(os.getenv("MACS_FILE")) do
  macs[#macs + 1] = line
end
local path = os.getenv("REQ_PATH") or "/ipxe"

request = function()
  local mac = macs[math.random(#macs)]
  return wrk.format("GET", path .. "?uuid=&mac=" .. mac .. "&domain=&hostname=&serial=&arch=x86_64", wrk.headers)
end
