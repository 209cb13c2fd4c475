module github.com/onmqtt/onmqtt/bench

go 1.26

replace github.com/onmqtt/onmqtt => ..
