import "./style.css";
document.body.append("hi");
