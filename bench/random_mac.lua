-- wrk script: every request asks for a random machine from MACS_FILE, with the
-- query string iPXE's boot.ipxe sends. Used for kindling and nginx alike so
-- that both see the same client-side cost.
local macs = {}
for line in io.lines(os.getenv("MACS_FILE")) do
  macs[#macs + 1] = line
end
local path = os.getenv("REQ_PATH") or "/ipxe"
-- NONCE=1 adds a label no two requests share, so that endpoints that echo
-- labels (/metadata) answer a different body every time.
local nonce = os.getenv("NONCE") == "1"
local counter = 0

request = function()
  local mac = macs[math.random(#macs)]
  local extra = ""
  if nonce then
    counter = counter + 1
    extra = "&nonce=" .. math.random(1000000000) .. "-" .. counter
  end
  return wrk.format("GET", path .. "?uuid=&mac=" .. mac .. "&domain=&hostname=&serial=&arch=x86_64" .. extra, wrk.headers)
end
