# The Ruby stomp gem (Debian ruby-stomp) against the broker over STOMP 1.2: publish with receipts,
# client-individual subscription with ACKs, a transaction, heart-beats. Last line: "received: a,b,...".
require 'stomp'

host, port, dest = ARGV
client = Stomp::Client.new(
  hosts: [{ login: 'guest', passcode: 'guest', host: host, port: port.to_i }],
  connect_headers: { 'accept-version' => '1.2', 'host' => 'localhost', 'heart-beat' => '1000,1000' },
  max_reconnect_attempts: 1
)
raise 'not STOMP 1.2' unless client.protocol == '1.2'
got = Queue.new
client.subscribe(dest, ack: 'client-individual', id: 'ruby') do |msg|
  client.ack(msg) # before handing the body over: the main thread closes once it has them all
  got << msg.body
end
3.times do |i|
  receipted = Queue.new
  client.publish(dest, "ruby-#{i}", 'content-type' => 'text/plain', 'persistent' => 'true') { |_r| receipted << true }
  Timeout.timeout(10) { receipted.pop }
end
client.begin('t1')
client.publish(dest, 'ruby-tx', transaction: 't1')
client.commit('t1')
received = Timeout.timeout(10) { Array.new(4) { got.pop } }
client.close
puts "received: #{received.join(',')}"
