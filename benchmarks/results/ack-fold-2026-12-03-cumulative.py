import stomp, time, threading, sys
N=int(sys.argv[1]) if len(sys.argv)>1 else 20000
Q='/queue/cum.test'
seen={}
lock=threading.Lock()
done=threading.Event()
class L(stomp.ConnectionListener):
    def __init__(s, c): s.c=c; s.n=0
    def on_message(s, f):
        i=int(f.body)
        with lock:
            seen[i]=seen.get(i,0)+1
            s.n+=1
            n=s.n
        if n%100==0: s.c.ack(f.headers['ack'])
        if len(seen)>=N: s.c.ack(f.headers['ack']); done.set()
def consumer(tag):
    c=stomp.Connection12([('127.0.0.1',61700)]); l=L(c); c.set_listener('',l); c.connect(wait=True)
    c.subscribe(Q, id='1', ack='client', headers={'activemq.prefetchSize':'100','prefetch-count':'100'})
    return c
p=stomp.Connection12([('127.0.0.1',61700)]); p.connect(wait=True)
c=consumer('a')
for i in range(N):
    p.send(Q, str(i), headers={'persistent':'true'})
done.wait(60)
time.sleep(1)
c.disconnect(); 
# a second consumer: anything left?
extra=[]
class L2(stomp.ConnectionListener):
    def on_message(s,f): extra.append(int(f.body))
c2=stomp.Connection12([('127.0.0.1',61700)]); c2.set_listener('',L2()); c2.connect(wait=True); c2.subscribe(Q,id='1',ack='auto')
time.sleep(2)
dups=sum(v-1 for v in seen.values() if v>1)
print(f"received {len(seen)} distinct, {dups} duplicates within the run, {len(extra)} left in the queue after the cumulative-ACK consumer disconnected")
p.disconnect(); c2.disconnect()
