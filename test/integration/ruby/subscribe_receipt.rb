# The Ruby stomp gem's synchronous Stomp::Connection over STOMP 1.2: SUBSCRIBE with a receipt, the
# RECEIPT must be the next frame, then every message of a queue that already holds them, ACKed one by
# one. Last line: "received: N first: COMMAND".
require 'stomp'
require 'timeout'

host, port, dest, count = ARGV
conn = Stomp::Connection.new(
  hosts: [{ login: 'guest', passcode: 'guest', host: host, port: port.to_i }],
  connect_headers: { 'accept-version' => '1.2', 'host' => 'localhost' },
  max_reconnect_attempts: 1
)
raise 'not STOMP 1.2' unless conn.protocol == '1.2'
conn.subscribe(dest, { ack: 'client-individual', receipt: 'sub-1' }, 'ruby-sub')
first = Timeout.timeout(10) { conn.receive }
raise "expected RECEIPT first, got #{first.command}" unless first.command == 'RECEIPT'
received = 0
while received < count.to_i
  msg = Timeout.timeout(10) { conn.receive }
  raise "expected MESSAGE, got #{msg.command}" unless msg.command == 'MESSAGE'
  raise "out of order: #{msg.body} at #{received}" unless msg.body == "m#{received}"
  conn.ack(msg.headers['ack'])
  received += 1
end
conn.disconnect
puts "received: #{received} first: #{first.command}"
